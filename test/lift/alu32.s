# 32-bit operations: trunc, op.i32, zext; division and shifts keep eBPF semantics as ops.
mov32 %r0, %r1
add32 %r0, 7
div32 %r0, %r2
lsh32 %r0, %r2
arsh32 %r0, 3
neg32 %r0
movsx832 %r0, %r0
exit

# ---- expect ----
# module entry f0 helpers [] maps []
#
# func f0 "prog" pc 0 {
# b0(v0: i64):
#   v1 = iconst.i64 0
#   v2 = frame_addr
#   jump b1
# b1:
#   v3 = trunc v0 @0
#   v4 = zext v3 @0
#   v5 = trunc v4 @1
#   v6 = iconst.i32 7 @1
#   v7 = add.i32 v5, v6 @1
#   v8 = zext v7 @1
#   v9 = trunc v8 @2
#   v10 = trunc v1 @2
#   v11 = udiv.i32 v9, v10 @2
#   v12 = zext v11 @2
#   v13 = trunc v12 @3
#   v14 = trunc v1 @3
#   v15 = shl.i32 v13, v14 @3
#   v16 = zext v15 @3
#   v17 = trunc v16 @4
#   v18 = iconst.i32 3 @4
#   v19 = ashr.i32 v17, v18 @4
#   v20 = zext v19 @4
#   v21 = trunc v20 @5
#   v22 = neg.i32 v21 @5
#   v23 = zext v22 @5
#   v24 = trunc v23 @6
#   v25 = sext8.i32 v24 @6
#   v26 = zext v25 @6
#   ret v26 @7
# }
