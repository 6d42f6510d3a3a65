# Atomic read-modify-write, fetch forms write the old value back, cmpxchg uses r0.
mov %r2, 1
lock add [%r1+0], %r2
lock fetch add [%r1+8], %r2
lock xchg32 [%r1+4], %r2
mov %r0, 0
lock cmpxchg [%r1+16], %r2
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
#   v3 = iconst.i64 1 @0
#   v4 = atomic_rmw.i64 add [v0], v3 @1
#   v5 = atomic_rmw.i64 add [v0+8], v3 @2
#   v6 = trunc v5 @3
#   v7 = atomic_rmw.i32 xchg [v0+4], v6 @3
#   v8 = zext v7 @3
#   v9 = iconst.i64 0 @4
#   v10 = atomic_cmpxchg.i64 [v0+16], v9, v8 @5
#   ret v10 @6
# }
