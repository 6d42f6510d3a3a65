# A counting loop: the header block gets parameters for the loop-carried registers only.
mov %r0, 0
mov %r2, 0
loop:
add %r0, %r2
add %r2, 1
jlt %r2, %r1, loop
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
#   v13 = iconst.i64 0 @0
#   v14 = iconst.i64 0 @1
#   jump b2(v13, v14) @1
# b2(v3: i64, v5: i64):
#   v15 = add.i64 v3, v5 @2
#   v16 = iconst.i64 1 @3
#   v17 = add.i64 v5, v16 @3
#   v18 = icmp.i64 ult v17, v0 @4
#   br_if v18, b2(v15, v17), b3 @4
# b3:
#   ret v15 @5
# }
