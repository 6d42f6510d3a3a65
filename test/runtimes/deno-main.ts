/**
 * @file The script the Deno test bundles and runs under the real `deno`:
 * reads the object through the Deno runtime entry and prints the firewall
 * report (`firewall-sample.ts`) as one JSON line.
 */

import { platformOptions, readBytes } from '../../runtimes/deno/mod.js';
import { firewallReport } from './firewall-sample.js';

declare const Deno: { args: string[]; version: { deno: string } };

const bytes = await readBytes(Deno.args[0]!);
console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, report: firewallReport(bytes, platformOptions()) }));
