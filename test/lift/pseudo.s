# lddw pseudo forms: map handle, map value address, function address; callx.
lddw %r1, map_by_idx(2)
lddw %r2, map_value_by_idx(3)+16
lddw %r3, func(4)
ldxw %r0, [%r2]
callx %r4
exit
f:
mov %r0, 7
exit

# ---- expect ----
# module entry f0 helpers [] maps [2, 3]
#
# func f0 "prog" pc 0 {
# b0(v0: i64):
#   v1 = iconst.i64 0
#   v2 = frame_addr
#   jump b1
# b1:
#   v3 = map_addr 2 @0
#   v4 = map_value_addr 3, 16 @2
#   v5 = func_addr f1 @4
#   v6 = load.i64 u32 [v4] @6
#   v7 = call_indirect v1 (v3, v4, v5, v1, v1) @7
#   ret v7 @8
# }
#
# func f1 "sub_9" pc 9 {
# b0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64):
#   v5 = iconst.i64 0
#   v6 = frame_addr
#   jump b1
# b1:
#   v7 = iconst.i64 7 @9
#   ret v7 @10
# }
