# A subprogram reads through r10 above its own frame (into its caller's): no function
# may keep that slot in a value, so every slot of the program stays in memory.
stxdw [%r10-8], %r1
call local f
ldxdw %r0, [%r10-8]
exit
f:
ldxdw %r0, [%r10+504]
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
#   store.i64 u64 v0, [v2-8] unchecked @0
#   v3 = call f1 (v0, v1, v1, v1, v1) @1
#   v4 = load.i64 u64 [v2-8] unchecked @2
#   ret v4 @3
# }
#
# func f1 "sub_4" pc 4 {
# b0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64):
#   v5 = iconst.i64 0
#   v6 = frame_addr
#   jump b1
# b1:
#   v7 = load.i64 u64 [v6+504] @4
#   ret v7 @5
# }
