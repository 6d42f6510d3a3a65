(module $forever
  (type (;0;) (func (param i64 i64 i64 i64 i64) (result i64)))
  (type (;1;) (func (param i32 i64 i32)))
  (type (;2;) (func (param i64 i64) (result i64)))
  (type (;3;) (func (param i64) (result i64)))
  (type (;4;) (func (param i32) (result f64)))
  (import "env" "fault" (func $env.fault (type 1)))
  (import "env" "memory" (memory (;0;) 1))
  (import "env" "stack_top" (global (;0;) i64))
  (func $forever#0 (type 2) (param $v0 i64) (param $fp i64) (result i64)
    (local $v1 i64) (local $v2 i64) (local $t4 i64) (local $v4 i64)
    i64.const 0
    local.set 2
    local.get 2
    local.set 3
    loop  ;; label = @1
      global.get 2
      i64.eqz
      if  ;; label = @2
        i32.const 0
        i64.const 10000000
        i32.const 5
        call 0
        unreachable
      end
      global.get 2
      i64.const 1
      i64.sub
      global.set 2
      i64.const 1
      local.set 4
      local.get 3
      local.get 4
      i64.add
      local.set 5
      local.get 5
      local.set 3
      br 0 (;@1;)
    end
    unreachable)
  (func $export_forever (type 3) (param $ctx i64) (result i64)
    i64.const 10000000
    global.set 2
    local.get 0
    global.get 0
    call 1)
  (func $run32_forever (type 4) (param $ctx i32) (result f64)
    (local $r0 i64)
    i64.const 10000000
    global.set 2
    local.get 0
    i64.extend_i32_u
    global.get 0
    call 1
    local.tee 1
    i64.const 9007199254740992
    i64.lt_u
    if (result f64)  ;; label = @1
      local.get 1
      f64.convert_i64_u
    else
      local.get 1
      global.set 1
      i64.const -1
      f64.convert_i64_s
    end)
  (global (;1;) (mut i64) (i64.const 0))
  (global (;2;) (mut i64) (i64.const 10000000))
  (export "ebpf2wasm.r0" (global 1))
  (export "forever" (func 2))
  (export "ebpf2wasm.run.forever" (func 3)))
