/** @file The whole conformance suite through the built plugin on the `wasm` backend, as ELF objects. */
import { suiteOnBackend } from '../harness/plugin-suite.js';

suiteOnBackend('wasm', true);
