/** @file The whole conformance suite through the built plugin on the `arm64` backend, as ELF objects. */
import { suiteOnBackend } from '../harness/plugin-suite.js';

suiteOnBackend('arm64', true);
