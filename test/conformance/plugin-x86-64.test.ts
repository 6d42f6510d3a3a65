/** @file The whole conformance suite through the built plugin on the `x86-64` backend. */
import { suiteOnBackend } from '../harness/plugin-suite.js';

suiteOnBackend('x86-64', false);
