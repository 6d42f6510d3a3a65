# A helper gets a pointer to [r10-16]: it may touch the bytes from there to the frame
# top, which stay in memory; the slot at r10-32 lies below and becomes a value. The
# derived pointer r3 writes through memory, so its bytes stay in memory too (r3 is
# cleared before the call: a frame pointer left in r1-r5 counts as a helper argument).
stdw [%r10-16], 0
stxdw [%r10-32], %r1
mov %r2, %r10
add %r2, -16
mov %r3, %r10
add %r3, -40
stdw [%r3+0], 7
mov %r3, 0
lddw %r1, map_by_idx(0)
call 1
ldxdw %r0, [%r10-32]
ldxdw %r4, [%r10-40]
add %r0, %r4
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
#   v3 = iconst.i64 0 @0
#   store.i64 u64 v3, [v2-16] unchecked @0
#   v4 = copy.i64 v2 @2
#   v5 = iconst.i64 -16 @3
#   v6 = add.i64 v4, v5 @3
#   v7 = copy.i64 v2 @4
#   v8 = iconst.i64 -40 @5
#   v9 = add.i64 v7, v8 @5
#   v10 = iconst.i64 7 @6
#   store.i64 u64 v10, [v9] @6
#   v11 = iconst.i64 0 @7
#   v12 = map_addr 0 @8
#   v13 = call_helper 1 (v12, v6, v11, v1, v1) @10
#   v14 = load.i64 u64 [v2-40] unchecked @12
#   v15 = add.i64 v0, v14 @13
#   ret v15 @14
# }
