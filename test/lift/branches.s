# Conditional jumps: icmp + br_if, 32-bit compares on truncated values, jset.
# level: 0
mov %r0, 0
jset %r1, 4, set
jslt32 %r1, -1, neg
mov %r0, 1
exit
set:
mov %r0, 2
exit
neg:
mov %r0, 3
exit

# ---- expect ----
# module entry f0 helpers [] maps []
#
# func f0 "prog" pc 0 {
# b0(v0: i64):
#   v1 = iconst.i64 0
#   v2 = frame_addr
#   v3 = iconst.i64 0 @0
#   v4 = iconst.i64 4 @1
#   v5 = icmp.i64 set v0, v4 @1
#   br_if v5, b5, b2 @1
# b2:
#   v6 = trunc v0 @2
#   v7 = iconst.i32 -1 @2
#   v8 = icmp.i32 slt v6, v7 @2
#   br_if v8, b4, b3 @2
# b3:
#   v9 = iconst.i64 1 @3
#   ret v9 @4
# b4:
#   v10 = iconst.i64 3 @7
#   ret v10 @8
# b5:
#   v11 = iconst.i64 2 @5
#   ret v11 @6
# }
