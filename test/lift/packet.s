# Legacy packet loads read through the context in r6; ldind adds the sign-extended low half of its register.
mov %r6, %r1
ldabsh 12
mov %r7, %r0
ldindb %r7, 2
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
#   v3 = copy.i64 v0 @0
#   v4 = iconst.i64 12 @1
#   v5 = ld_pkt u16 v3, v4 @1
#   v6 = copy.i64 v5 @2
#   v7 = iconst.i64 2 @3
#   v8 = trunc v6 @3
#   v9 = sext v8 @3
#   v10 = add.i64 v9, v7 @3
#   v11 = ld_pkt u8 v3, v10 @3
#   ret v11 @4
# }
