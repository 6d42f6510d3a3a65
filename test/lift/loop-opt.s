# The same loop at -O2: copies gone, constants shared, dead parameters removed.
# level: 2
mov %r0, 0
mov %r2, 0
loop:
add32 %r0, %r2
add32 %r2, 1
jlt %r2, %r1, loop
exit

# ---- expect ----
# module entry f0 helpers [] maps []
#
# func f0 "prog" pc 0 {
# b0(v0: i64):
#   v1 = iconst.i64 0
#   jump b2(v1, v1)
# b2(v3: i64, v5: i64):
#   v15 = trunc v3 @2
#   v16 = trunc v5 @2
#   v17 = add.i32 v15, v16 @2
#   v18 = zext v17 @2
#   v20 = iconst.i32 1 @3
#   v21 = add.i32 v16, v20 @3
#   v22 = zext v21 @3
#   v23 = icmp.i64 ult v22, v0 @4
#   br_if v23, b2(v18, v22), b3 @4
# b3:
#   ret v18 @5
# }
