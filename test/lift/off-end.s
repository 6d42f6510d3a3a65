# A path that runs past the last instruction becomes a trap; unreachable code is dropped.
jeq %r1, 0, fall
exit
mov %r0, 5
exit
fall:
mov %r0, 1

# ---- expect ----
# module entry f0 helpers [] maps []
#
# func f0 "prog" pc 0 {
# b0(v0: i64):
#   v1 = iconst.i64 0
#   v2 = frame_addr
#   jump b1
# b1:
#   v3 = iconst.i64 0 @0
#   v4 = icmp.i64 eq v0, v3 @0
#   br_if v4, b3, b2 @0
# b2:
#   ret v1 @1
# b3:
#   v5 = iconst.i64 1 @4
#   jump b4 @4
# b4:
#   trap @4
# }
