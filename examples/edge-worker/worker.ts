/**
 * @file An edge worker that runs the XDP firewall (`examples/firewall.c`) on
 * every HTTP request: the client address and port, the server port and the
 * request bytes become a synthetic Ethernet/IPv4/TCP frame, the program runs
 * on it, and `XDP_DROP` answers 403 (anything else 200).
 *
 * The program comes compiled ahead of time (`firewall.wasm`, made by
 * `scripts/bundle-worker.ts` with `compileObject`), because edge platforms do
 * not compile WebAssembly from bytes at run time. `POST /admin/load` with an
 * ELF object replaces it at run time; that one runs on the interpreter.
 *
 * Routes:
 * - `POST /admin/block` / `POST /admin/unblock`, body a CIDR (`10.0.0.0/8`):
 *   add or remove a source prefix in the `blocked_prefixes` LPM trie;
 * - `POST /admin/block-port` / `POST /admin/unblock-port`, body a port:
 *   the `blocked_ports` hash;
 * - `GET /admin/stats`: the per-CPU `verdicts` counters and the backend, as JSON;
 * - `POST /admin/load`, body an ELF object: run it (interpreted) from now on;
 * - anything else: filtered.
 *
 * The client address is `CF-Connecting-IP` (set by the platform), else the
 * first `X-Forwarded-For` entry, else 127.0.0.1; the client port is
 * `X-Client-Port` when given. When the `ADMIN_TOKEN` binding is set, admin
 * routes need `Authorization: Bearer <token>`.
 */

import firewallModule from './firewall.wasm';
import { DiagnosticError, dumpMap, openProgramSet, parseCidr, syntheticFrame, type WorkerProgramSet } from '../../runtimes/worker/mod.js';

/** `enum xdp_action`. */
const XDP_DROP = 1;

let state: WorkerProgramSet | undefined;

function programs(): WorkerProgramSet {
  state ??= openProgramSet(firewallModule);
  return state;
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}

function map(name: string): NonNullable<ReturnType<WorkerProgramSet['instance']['maps']['get']>> {
  const m = programs().instance.maps.get(name);
  if (m === undefined) throw new Error(`the program has no map "${name}"`);
  return m;
}

/** Key of `struct ipv4_lpm_key`: prefixlen (host order, little-endian) then the address in network order. */
function lpmKey(cidr: string): Uint8Array | undefined {
  const p = parseCidr(cidr);
  if (p === undefined) return undefined;
  const key = new Uint8Array(8);
  new DataView(key.buffer).setUint32(0, p.prefixlen, true);
  key.set(p.addr, 4);
  return key;
}

/** A `__u16` port key, little-endian as the program stores host-order ports. */
function portKey(text: string): Uint8Array | undefined {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535) return undefined;
  const key = new Uint8Array(2);
  new DataView(key.buffer).setUint16(0, Number(text), true);
  return key;
}

async function admin(request: Request, path: string): Promise<Response> {
  if (request.method === 'GET' && path === '/admin/stats') {
    const ps = programs();
    return new Response(JSON.stringify({ backend: ps.mode, verdicts: dumpMap(map('verdicts')) }), { headers: { 'content-type': 'application/json' } });
  }
  if (request.method !== 'POST') return text(405, 'admin routes take POST (GET /admin/stats)');
  if (path === '/admin/load') {
    const bytes = new Uint8Array(await request.arrayBuffer());
    // Edge platforms refuse to compile WebAssembly at run time: only ELF objects (interpreted) can arrive here.
    if (!(bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)) {
      return text(415, 'upload an ELF eBPF object; compiled modules must be part of the worker configuration');
    }
    state = openProgramSet(bytes);
    return text(200, `loaded ${state.object.programs.map((p) => p.name).join(', ')} on ${state.mode}`);
  }
  const body = (await request.text()).trim();
  if (path === '/admin/block' || path === '/admin/unblock') {
    const key = lpmKey(body);
    if (key === undefined) return text(400, `not a CIDR prefix: "${body}"`);
    const m = map('blocked_prefixes');
    const err = path === '/admin/block' ? m.updateUser(key, Uint8Array.of(1), 0) : m.delete(key);
    return err < 0 ? text(409, `map update failed: errno ${-err}`) : text(200, `${path.slice(7)}ed ${body}`);
  }
  if (path === '/admin/block-port' || path === '/admin/unblock-port') {
    const key = portKey(body);
    if (key === undefined) return text(400, `not a port: "${body}"`);
    const m = map('blocked_ports');
    const err = path === '/admin/block-port' ? m.updateUser(key, Uint8Array.of(1), 0) : m.delete(key);
    return err < 0 ? text(409, `map update failed: errno ${-err}`) : text(200, `${path.slice(7)}ed ${body}`);
  }
  return text(404, `no admin route ${path}`);
}

async function filter(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const client = request.headers.get('cf-connecting-ip') ?? request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? '127.0.0.1';
  const srcPort = Number(request.headers.get('x-client-port') ?? 40000);
  const dstPort = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n${[...request.headers].map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const bodyBytes = request.body !== null ? new Uint8Array(await request.arrayBuffer()) : new Uint8Array(0);
  const headBytes = new TextEncoder().encode(head);
  const payload = new Uint8Array(headBytes.length + bodyBytes.length);
  payload.set(headBytes);
  payload.set(bodyBytes, headBytes.length);
  const frame = syntheticFrame({ src: client, srcPort, dstPort, payload });
  const ps = programs();
  const r = ps.run(frame);
  const headers = { 'x-ebpf2wasm-verdict': String(r.retval), 'x-ebpf2wasm-backend': ps.mode };
  return r.retval === XDP_DROP ? text(403, `dropped ${client}`, headers) : text(200, `passed ${client}`, headers);
}

export default {
  async fetch(request: Request, env: { ADMIN_TOKEN?: string }): Promise<Response> {
    try {
      const path = new URL(request.url).pathname;
      if (path.startsWith('/admin/')) {
        if (env.ADMIN_TOKEN !== undefined && env.ADMIN_TOKEN !== '' && request.headers.get('authorization') !== `Bearer ${env.ADMIN_TOKEN}`) {
          return text(401, 'admin routes need the admin token');
        }
        return await admin(request, path);
      }
      return await filter(request);
    } catch (err) {
      if (err instanceof DiagnosticError) return text(500, `error: ${err.message}`);
      throw err;
    }
  },
};
