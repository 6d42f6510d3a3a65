# bpf-to-bpf calls: one function per subprogram, r1-r5 in, r0 out, r6-r9 kept,
# r1-r5 clobbered (read as 0) after the call.
mov %r6, %r1
mov %r1, 5
call local double
add %r0, %r6
add %r0, %r1
exit
double:
mov %r0, %r1
add %r0, %r1
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
#   v4 = iconst.i64 5 @1
#   v5 = call f1 (v4, v1, v1, v1, v1) @2
#   v6 = add.i64 v5, v3 @3
#   v7 = add.i64 v6, v1 @4
#   ret v7 @5
# }
#
# func f1 "sub_6" pc 6 {
# b0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64):
#   v5 = iconst.i64 0
#   v6 = frame_addr
#   jump b1
# b1:
#   v7 = copy.i64 v0 @6
#   v8 = add.i64 v7, v0 @7
#   ret v8 @8
# }
