# The frame address goes to a helper: every slot stays in memory. Accesses at
# constant in-frame offsets from r10 are proven in bounds (unchecked).
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map_by_idx(0)
call 1
jeq %r0, 0, out
ldxdw %r0, [%r0]
out:
ldxdw %r3, [%r10-8]
exit

# ---- expect ----
# module entry f0 helpers [1] maps [0]
#
# func f0 "prog" pc 0 {
# b0(v0: i64):
#   v1 = iconst.i64 0
#   v2 = frame_addr
#   jump b1
# b1:
#   v13 = iconst.i64 0 @0
#   store.i64 u64 v13, [v2-8] unchecked @0
#   v14 = copy.i64 v2 @1
#   v15 = iconst.i64 -8 @2
#   v16 = add.i64 v14, v15 @2
#   v17 = map_addr 0 @3
#   v18 = call_helper 1 (v17, v16, v1, v1, v1) @5
#   v19 = iconst.i64 0 @6
#   v20 = icmp.i64 eq v18, v19 @6
#   br_if v20, b3(v18), b2 @6
# b2:
#   v21 = load.i64 u64 [v18] @7
#   jump b3(v21) @7
# b3(v3: i64):
#   v22 = load.i64 u64 [v2-8] unchecked @8
#   ret v3 @9
# }
