(module $arith
  (type (;0;) (func (param i64 i64 i64 i64 i64) (result i64)))
  (type (;1;) (func (param i64 i32 i32) (result i64)))
  (type (;2;) (func (param i32 i64 i32)))
  (type (;3;) (func (param i64 i32 i32 i32)))
  (type (;4;) (func))
  (type (;5;) (func (param i64 i64) (result i64)))
  (type (;6;) (func (param i64) (result i64)))
  (type (;7;) (func (param i32) (result f64)))
  (import "env" "region" (func $env.region (type 1)))
  (import "env" "fault" (func $env.fault (type 2)))
  (import "env" "memory" (memory (;0;) 1))
  (import "env" "stack_top" (global (;0;) i64))
  (func $check_access (type 3) (param $addr i64) (param $size i32) (param $pc i32) (param $kind i32)
    (local $region i64)
    local.get 0
    local.get 1
    local.get 3
    call 0
    local.tee 4
    i64.eqz
    if  ;; label = @1
      local.get 2
      local.get 0
      local.get 3
      local.get 1
      i32.const 4
      i32.shl
      i32.or
      call 1
      unreachable
    end
    local.get 3
    if  ;; label = @1
      local.get 4
      i64.const 4294967295
      i64.and
      global.set 4
      local.get 4
      i64.const 32
      i64.shr_u
      global.set 5
    else
      local.get 4
      i64.const 4294967295
      i64.and
      global.set 2
      local.get 4
      i64.const 32
      i64.shr_u
      global.set 3
    end)
  (func $reset_caches (type 4)
    i64.const -1
    global.set 2
    i64.const 8
    global.set 3
    i64.const -1
    global.set 4
    i64.const 8
    global.set 5)
  (func $arith#0 (type 5) (param $v0 i64) (param $fp i64) (result i64)
    (local $v1 i64) (local $t3 i64) (local $t4 i64) (local $t5 i64) (local $addr i64) (local $v7 i64) (local $v8 i32) (local $v9 i64)
    i64.const 7
    local.set 2
    i64.const 0
    local.set 3
    local.get 3
    i64.eqz
    if (result i64)  ;; label = @1
      i64.const 0
    else
      local.get 2
      local.get 3
      i64.div_u
    end
    local.set 4
    local.get 3
    i64.eqz
    if (result i64)  ;; label = @1
      local.get 2
    else
      local.get 2
      local.get 3
      i64.rem_u
    end
    local.set 5
    local.get 4
    local.get 5
    i64.add
    local.set 3
    local.get 1
    local.set 5
    local.get 5
    i64.const -8
    i64.add
    local.tee 6
    global.get 4
    i64.ge_u
    local.get 6
    global.get 5
    i64.const 8
    i64.sub
    i64.le_u
    i32.and
    i32.eqz
    if  ;; label = @1
      local.get 6
      i32.const 8
      i32.const 3
      i32.const 1
      call 2
    end
    local.get 6
    i32.wrap_i64
    local.get 3
    i64.store align=1
    local.get 5
    i64.const -8
    i64.add
    local.tee 6
    global.get 2
    i64.ge_u
    local.get 6
    global.get 3
    i64.const 8
    i64.sub
    i64.le_u
    i32.and
    i32.eqz
    if  ;; label = @1
      local.get 6
      i32.const 8
      i32.const 4
      i32.const 0
      call 2
    end
    local.get 6
    i32.wrap_i64
    i64.load align=1
    local.set 7
    local.get 7
    local.get 2
    i64.eq
    local.set 8
    local.get 8
    if  ;; label = @1
      local.get 2
      return
    else
      local.get 7
      local.set 9
      local.get 9
      return
    end
    unreachable)
  (func $export_arith (type 6) (param $ctx i64) (result i64)
    call 3
    i64.const 10000000
    global.set 6
    local.get 0
    global.get 0
    call 4)
  (func $run32_arith (type 7) (param $ctx i32) (result f64)
    (local $r0 i64)
    call 3
    i64.const 10000000
    global.set 6
    local.get 0
    i64.extend_i32_u
    global.get 0
    call 4
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
  (global (;2;) (mut i64) (i64.const -1))
  (global (;3;) (mut i64) (i64.const 8))
  (global (;4;) (mut i64) (i64.const -1))
  (global (;5;) (mut i64) (i64.const 8))
  (global (;6;) (mut i64) (i64.const 10000000))
  (export "ebpf2wasm.r0" (global 1))
  (export "arith" (func 5))
  (export "ebpf2wasm.run.arith" (func 6)))
