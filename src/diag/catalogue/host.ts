/** @file Diagnostic templates for the host stage: maps and helpers. */

/** host diagnostics. */
export const hostMessages = {
  HOST_MAP_INVALID: 'map "{name}" ({type}): {reason}',
  HOST_MAP_UNSUPPORTED: 'map "{name}": map type {type} is not supported',
  HOST_MAP_INDEX_CORRUPT: 'map "{name}": its index in the memory was overwritten (it has no free slot left); something wrote where only the host writes',
  HOST_HELPER_UNKNOWN: 'helper {id} is not implemented by the host',
  HOST_HELPER_BAD_MAP: 'helper {helper}: 0x{pointer} is not a map',
  HOST_HELPER_FAULT: 'helper {helper}: {size} bytes at 0x{address} are outside every memory region',
  HOST_NO_BACKEND: 'no backend named "{name}" (available: {available})',
} as const;
