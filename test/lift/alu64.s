# 64-bit operations with immediates sign-extended, byte swaps, sign-extending moves.
mov %r0, %r1
add %r0, -1
sdiv %r0, %r1
smod %r0, 3
be16 %r0
le32 %r0
bswap64 %r0
movsx3264 %r0, %r0
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
#   v4 = iconst.i64 -1 @1
#   v5 = add.i64 v3, v4 @1
#   v6 = sdiv.i64 v5, v0 @2
#   v7 = iconst.i64 3 @3
#   v8 = srem.i64 v6, v7 @3
#   v9 = bswap16.i64 v8 @4
#   v10 = trunc v9 @5
#   v11 = zext v10 @5
#   v12 = bswap64 v11 @6
#   v13 = sext32 v12 @7
#   ret v13 @8
# }
