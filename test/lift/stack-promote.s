# Stack slots accessed only at constant offsets from r10 become SSA values;
# the frame address never escapes, so nothing stays in memory.
stxdw [%r10-8], %r1
stw [%r10-12], -1
ldxdw %r0, [%r10-8]
ldxw %r2, [%r10-12]
add %r0, %r2
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
#   v3 = iconst.i64 -1 @1
#   v4 = trunc v3 @1
#   v5 = zext v4 @1
#   v6 = add.i64 v0, v5 @4
#   ret v6 @5
# }
