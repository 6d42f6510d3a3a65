/**
 * @file The page script of the browser test: fetches the firewall object and
 * its compiled module from the page's server, computes the firewall report
 * (`firewall-sample.ts`), runs the sample frames on the module compiled
 * asynchronously by `fetchCompiled`, and writes the JSON into `#result`
 * (or prints it where there is no document).
 */

import { fetchBytes, fetchCompiled, Instance, platformOptions, testRun } from '../../runtimes/browser/mod.js';
import { firewallReport, preload, sampleFrames } from './firewall-sample.js';

declare const document: { getElementById(id: string): { textContent: string } | null } | undefined;
declare const location: { href: string };
declare const navigator: { userAgent: string } | undefined;

async function main(): Promise<string> {
  try {
    const bytes = await fetchBytes(new URL('firewall.o', location.href));
    const report = firewallReport(bytes, platformOptions());
    const set = await fetchCompiled(new URL('firewall.wasm', location.href));
    const instance = new Instance(set.object, { ...platformOptions(), nCpus: 2 });
    preload(instance);
    const fetched = sampleFrames().map(([frame, data]) => ({ frame, retval: testRun(instance, set.object.programs[0]!, set.backend, { data }).retval }));
    return JSON.stringify({ runtime: navigator?.userAgent ?? 'unknown', report, fetched });
  } catch (err) {
    return JSON.stringify({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
}

void main().then((json) => {
  const el = typeof document !== 'undefined' ? document.getElementById('result') : null;
  if (el !== null) el.textContent = json;
  else console.log(json);
});
