/** @file Diagnostic templates for hooks and the user-space API: attaching, firing, objects, maps and pins. */

/** Hook and user-space API diagnostics. */
export const hookMessages = {
  HOOK_PROG_TYPE: 'program "{program}" is a {type} program; {hook} hooks take {expected} programs',
  HOOK_DETACHED: 'program "{program}" is no longer attached to {hook}',
  HOOK_NO_TRACEPOINT: 'no tracepoint "{name}" is declared (declared: {declared})',
  HOOK_TRACEPOINT_EXISTS: 'tracepoint "{name}" is already declared',
  HOOK_RECORD: 'tracepoint "{name}": {detail}',
  API_NOT_OBJECT: 'bytes are neither an ELF object nor a WebAssembly module (they start with {magic})',
  API_NO_MAP: 'no map named "{name}" (maps: {available})',
  API_MAP_KIND: 'map "{name}" is a {type} map; {op} needs {need}',
  API_MAP_OP: 'map "{name}": {op} failed with {errno}',
  API_SCALAR: 'map "{name}": {what} has {size} bytes, which do not hold a {as}',
  PIN_EXISTS: 'a map is already pinned as "{name}"',
  PIN_NOT_FOUND: 'no map is pinned as "{name}"',
  PIN_INCOMPATIBLE: 'map "{name}" cannot reuse the pinned map: {reason}',
  PIN_MEMORY: 'map "{name}" lives in another linear memory than the objects that would share it',
} as const;
