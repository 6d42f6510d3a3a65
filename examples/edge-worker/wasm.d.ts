/** @file Type of a `.wasm` import: the platform hands over a compiled `WebAssembly.Module`. */
declare module '*.wasm' {
  /** The module, compiled by the platform ahead of the worker's code. */
  const module: object;
  export default module;
}
