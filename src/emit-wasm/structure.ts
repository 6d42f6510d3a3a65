/**
 * @file Structured control flow for any control-flow graph.
 *
 * WebAssembly has no `goto`: control flow is `block`, `loop`, `if` and
 * branches to enclosing labels. Reducible graphs are translated with the
 * dominator-tree method of N. Ramsey, "Beyond Relooper: recursive translation
 * of unstructured control flow to structured control flow", ICFP 2022
 * (functions `doTree`, `nodeWithin`, `doBranch` there):
 *
 * - a node's merge children in the dominator tree (children with two or more
 *   forward in-edges) each get a `block` around the node's code, ordered by
 *   reverse-postorder number, the highest outermost; the child's code follows
 *   its block's `end`, so a forward edge to it is a `br` out of that block;
 * - a loop header (target of a back edge) is wrapped in a `loop`; a back edge
 *   is a `br` to that loop;
 * - any other forward edge goes to a node dominated by the source with no
 *   other forward in-edge, whose code is placed right there.
 *
 * Irreducible graphs (a loop with several entries, which a verifier accepts
 * when clang's output has one) are first made reducible: for every strongly
 * connected region with more than one entry, a *dispatch* node is inserted
 * that becomes its only entry. Every edge into one of the entries instead
 * sets a label local to the entry's index and goes to the dispatcher, which
 * picks the entry with a `br_table`. Inner regions are handled the same way
 * after removing the region header, as in a loop-nesting forest, so the
 * translation never fails.
 *
 * Selection contract with the caller: after `node(code, n)` emits a node's
 * body, a node with two successors leaves an i32 on the stack (non-zero:
 * successor 0, zero: successor 1); a node with k ≥ 3 successors leaves an
 * index (successor j for j < k, the last one otherwise); a node with one
 * successor leaves nothing; a node with none ends its own code (`return`).
 */

import { assert } from '../diag/errors.js';
import { W, type Code } from './encode.js';

/** The control-flow graph interface: nodes are `0 .. size-1`. */
export interface Cfg {
  readonly size: number;
  readonly entry: number;
  successors(node: number): readonly number[];
}

/** Callbacks that emit the code of nodes and edges. */
export interface StructureHooks {
  /** Emit the body of `node` (see the selection contract in the file comment). */
  node(code: Code, node: number): void;
  /** Emit what happens on the edge `node → successors(node)[index]` (block-parameter copies). */
  edge(code: Code, node: number, index: number): void;
  /** Allocate a fresh i32 local; called at most twice per function. */
  i32Local(): number;
  /**
   * Whether `edge(code, node, index)` emits nothing; optional (default: no).
   * A two-way branch whose edge is empty and leaves by a `br` becomes a
   * `br_if` instead of an `if`/`else`.
   */
  edgeIsEmpty?(node: number, index: number): boolean;
  /** Emit code at the top of the `loop` of loop header `node` (run once per iteration); optional. */
  loopHeader?(code: Code, node: number): void;
}

/** What the translation did, for statistics and tests. */
export interface StructureStats {
  /** Whether the graph was irreducible. */
  readonly irreducible: boolean;
  /** Dispatch nodes inserted to make it reducible. */
  readonly dispatchers: number;
  /** Nodes reachable from the entry (the others are not emitted). */
  readonly reachable: number;
}

interface Edge {
  readonly to: number;
  /** Original source node and successor index, when this edge stands for an original edge. */
  readonly from: number;
  readonly index: number;
  /** Label value to set before taking the edge, or -1. */
  readonly label: number;
}

type Frame =
  | { readonly kind: 'loop'; readonly node: number }
  | { readonly kind: 'block'; readonly node: number }
  | { readonly kind: 'other' };

type Action =
  | { readonly k: 'tree'; readonly x: number }
  | { readonly k: 'within'; readonly x: number; readonly ys: readonly number[]; readonly i: number }
  | { readonly k: 'end' }
  | { readonly k: 'else' }
  | { readonly k: 'branch'; readonly x: number; readonly e: Edge };

/** The working graph: the original nodes, then dispatchers and a synthetic start. */
class Graph {
  readonly succ: Edge[][] = [];
  /** What each node is: an original node, a dispatcher, or the synthetic start. */
  readonly kind: ('orig' | 'dispatch' | 'start')[] = [];
  entry: number;

  constructor(cfg: Cfg) {
    for (let n = 0; n < cfg.size; n++) {
      this.succ.push(cfg.successors(n).map((to, index) => {
        assert(Number.isInteger(to) && to >= 0 && to < cfg.size, `edge ${n} -> ${to} leaves the graph`);
        return { to, from: n, index, label: -1 };
      }));
      this.kind.push('orig');
    }
    this.entry = cfg.entry;
  }

  add(kind: 'dispatch' | 'start'): number {
    this.succ.push([]);
    this.kind.push(kind);
    return this.succ.length - 1;
  }
}

/** Reverse postorder of the nodes reachable from the entry (iterative DFS). */
function reversePostorder(g: Graph): number[] {
  const seen = new Uint8Array(g.succ.length);
  const post: number[] = [];
  const stack: [number, number][] = [[g.entry, 0]];
  seen[g.entry] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const edges = g.succ[top[0]]!;
    if (top[1] < edges.length) {
      const to = edges[top[1]++]!.to;
      if (seen[to] === 0) { seen[to] = 1; stack.push([to, 0]); }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  return post.reverse();
}

/** Predecessor lists (reachable sources only). */
function predecessors(g: Graph, order: readonly number[]): number[][] {
  const preds: number[][] = g.succ.map(() => []);
  for (const n of order) for (const e of g.succ[n]!) preds[e.to]!.push(n);
  return preds;
}

/**
 * Immediate dominators by the iterative algorithm of Cooper, Harvey and
 * Kennedy, "A Simple, Fast Dominance Algorithm" (2001). `idom[entry] = entry`;
 * unreachable nodes get -1.
 */
function dominators(g: Graph, order: readonly number[], rpo: Int32Array, preds: readonly number[][]): Int32Array {
  const idom = new Int32Array(g.succ.length).fill(-1);
  idom[g.entry] = g.entry;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const n of order) {
      if (n === g.entry) continue;
      let best = -1;
      for (const p of preds[n]!) {
        if (idom[p] === -1) continue;
        best = best === -1 ? p : intersect(p, best);
      }
      if (best !== idom[n]) { idom[n] = best; changed = true; }
    }
  }
  return idom;
}

function dominates(idom: Int32Array, entry: number, a: number, b: number): boolean {
  for (let n = b; ; n = idom[n]!) {
    if (n === a) return true;
    if (n === entry) return false;
  }
}

/** Strongly connected components of the subgraph induced by `inside` (Tarjan, iterative). */
function sccs(g: Graph, nodes: readonly number[], inside: Uint8Array): number[][] {
  const index = new Int32Array(g.succ.length).fill(-1);
  const low = new Int32Array(g.succ.length);
  const onStack = new Uint8Array(g.succ.length);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    index[root] = low[root] = counter++;
    stack.push(root); onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const v = top[0];
      const edges = g.succ[v]!;
      if (top[1] < edges.length) {
        const w = edges[top[1]++]!.to;
        if (inside[w] === 0) continue;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w); onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w] === 1) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
      } else {
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1]![0];
          low[parent] = Math.min(low[parent]!, low[v]!);
        }
        if (low[v] === index[v]) {
          const comp: number[] = [];
          let w: number;
          do { w = stack.pop()!; onStack[w] = 0; comp.push(w); } while (w !== v);
          out.push(comp);
        }
      }
    }
  }
  return out;
}

/**
 * Make the reachable part of `g` reducible by inserting dispatch nodes for
 * multiple-entry regions; returns how many were inserted.
 */
function makeReducible(g: Graph): number {
  let dispatchers = 0;
  const regions: number[][] = [reversePostorder(g)];
  while (regions.length > 0) {
    const region = regions.pop()!;
    const inside = new Uint8Array(g.succ.length + 1);
    for (const n of region) inside[n] = 1;
    for (const comp of sccs(g, region, inside)) {
      const single = comp[0]!;
      if (comp.length === 1 && !g.succ[single]!.some((e) => e.to === single)) continue;
      const inComp = new Uint8Array(g.succ.length + 1);
      for (const n of comp) inComp[n] = 1;
      const order = reversePostorder(g);
      const entries: number[] = [];
      const isEntry = new Uint8Array(g.succ.length + 1);
      for (const n of order) {
        for (const e of g.succ[n]!) {
          if (inComp[e.to] === 1 && inComp[n] === 0 && isEntry[e.to] === 0) { isEntry[e.to] = 1; entries.push(e.to); }
        }
      }
      if (inComp[g.entry] === 1 && isEntry[g.entry] === 0) { isEntry[g.entry] = 1; entries.push(g.entry); }
      let header: number;
      if (entries.length > 1) {
        header = g.add('dispatch');
        dispatchers++;
        const labelOf = new Map(entries.map((v, i) => [v, i]));
        for (let n = 0; n < g.succ.length; n++) {
          g.succ[n] = g.succ[n]!.map((e) => {
            const label = labelOf.get(e.to);
            return label === undefined || n === header ? e : { ...e, to: header, label };
          });
        }
        g.succ[header] = entries.map((to) => ({ to, from: -1, index: -1, label: -1 }));
        if (isEntry[g.entry] === 1) {
          const start = g.add('start');
          g.succ[start] = [{ to: header, from: -1, index: -1, label: labelOf.get(g.entry)! }];
          g.entry = start;
        }
        comp.push(header);
      } else {
        header = entries[0]!;
      }
      const inner = comp.filter((n) => n !== header);
      if (inner.length > 0) regions.push(inner);
    }
  }
  return dispatchers;
}

/**
 * Emit structured code for `cfg` into `code`: every reachable node once (or,
 * for irreducible graphs, once plus dispatchers), with the branches between
 * them. Ends with `unreachable`, so the function end is never reached by
 * falling off a loop.
 */
export function emitStructured(cfg: Cfg, hooks: StructureHooks, code: Code): StructureStats {
  assert(cfg.entry >= 0 && cfg.entry < cfg.size, 'entry outside the graph');
  const g = new Graph(cfg);
  let order = reversePostorder(g);
  let rpo = new Int32Array(g.succ.length).fill(-1);
  order.forEach((n, i) => { rpo[n] = i; });
  let preds = predecessors(g, order);
  let idom = dominators(g, order, rpo, preds);
  const reducible = (): boolean => order.every((u) =>
    g.succ[u]!.every((e) => rpo[e.to]! > rpo[u]! || dominates(idom, g.entry, e.to, u)));
  const reachable = order.length;
  let dispatchers = 0;
  const irreducible = !reducible();
  if (irreducible) {
    dispatchers = makeReducible(g);
    order = reversePostorder(g);
    rpo = new Int32Array(g.succ.length).fill(-1);
    order.forEach((n, i) => { rpo[n] = i; });
    preds = predecessors(g, order);
    idom = dominators(g, order, rpo, preds);
    assert(reducible(), 'dispatch insertion left the graph irreducible');
  }

  const size = g.succ.length;
  const isLoopHeader = new Uint8Array(size);
  const forwardIn = new Int32Array(size);
  for (const u of order) {
    for (const e of g.succ[u]!) {
      if (rpo[e.to]! <= rpo[u]!) isLoopHeader[e.to] = 1;
      else forwardIn[e.to]!++;
    }
  }
  const mergeChildren: number[][] = g.succ.map(() => []);
  for (const n of order) if (n !== g.entry && forwardIn[n]! >= 2) mergeChildren[idom[n]!]!.push(n);
  for (const list of mergeChildren) list.sort((a, b) => rpo[b]! - rpo[a]!);

  let label = -1;
  let selector = -1;
  const labelLocal = (): number => (label === -1 ? (label = hooks.i32Local()) : label);
  const selectorLocal = (): number => (selector === -1 ? (selector = hooks.i32Local()) : selector);

  const ctx: Frame[] = [];
  const depthOf = (kind: 'loop' | 'block', node: number): number => {
    for (let i = ctx.length - 1; i >= 0; i--) {
      const f = ctx[i]!;
      if (f.kind === kind && f.node === node) return ctx.length - 1 - i;
    }
    throw new Error(`internal error: no enclosing ${kind} for node ${node}`);
  };

  /** The `br` depth of an edge that needs no code of its own and leaves by a branch, else -1. */
  const simple = (x: number, e: Edge): number => {
    if (e.label >= 0 || hooks.edgeIsEmpty === undefined) return -1;
    if (e.index >= 0 && !hooks.edgeIsEmpty(e.from, e.index)) return -1;
    if (rpo[e.to]! <= rpo[x]!) return depthOf('loop', e.to);
    if (forwardIn[e.to]! >= 2) return depthOf('block', e.to);
    return -1;
  };

  const work: Action[] = [{ k: 'tree', x: g.entry }];
  const push = (...actions: Action[]): void => { for (let i = actions.length - 1; i >= 0; i--) work.push(actions[i]!); };
  while (work.length > 0) {
    const a = work.pop()!;
    switch (a.k) {
      case 'tree':
        if (isLoopHeader[a.x] === 1) {
          code.loop();
          ctx.push({ kind: 'loop', node: a.x });
          if (g.kind[a.x] === 'orig' && hooks.loopHeader !== undefined) hooks.loopHeader(code, a.x);
          push({ k: 'within', x: a.x, ys: mergeChildren[a.x]!, i: 0 }, { k: 'end' });
        } else {
          push({ k: 'within', x: a.x, ys: mergeChildren[a.x]!, i: 0 });
        }
        break;
      case 'within': {
        if (a.i < a.ys.length) {
          const y = a.ys[a.i]!;
          code.block();
          ctx.push({ kind: 'block', node: y });
          push({ k: 'within', x: a.x, ys: a.ys, i: a.i + 1 }, { k: 'end' }, { k: 'tree', x: y });
          break;
        }
        const x = a.x;
        const edges = g.succ[x]!;
        const kind = g.kind[x]!;
        if (kind === 'orig') hooks.node(code, x);
        else if (kind === 'dispatch') {
          code.localGet(labelLocal());
          if (edges.length === 2) code.op(W.i32_eqz);
        }
        if (edges.length === 1) {
          push({ k: 'branch', x, e: edges[0]! });
        } else if (edges.length === 2 && simple(x, edges[0]!) >= 0) {
          code.brIf(simple(x, edges[0]!));
          push({ k: 'branch', x, e: edges[1]! });
        } else if (edges.length === 2 && simple(x, edges[1]!) >= 0) {
          code.op(W.i32_eqz).brIf(simple(x, edges[1]!));
          push({ k: 'branch', x, e: edges[0]! });
        } else if (edges.length === 2) {
          code.if();
          ctx.push({ kind: 'other' });
          push({ k: 'branch', x, e: edges[0]! }, { k: 'else' }, { k: 'branch', x, e: edges[1]! }, { k: 'end' });
        } else if (edges.length > 2) {
          const sel = selectorLocal();
          code.localSet(sel);
          for (let j = 0; j < edges.length; j++) { code.block(); ctx.push({ kind: 'other' }); }
          code.localGet(sel);
          code.brTable(edges.map((_, j) => j), edges.length - 1);
          const after: Action[] = [];
          for (const e of edges) after.push({ k: 'end' }, { k: 'branch', x, e });
          push(...after);
        }
        break;
      }
      case 'end':
        ctx.pop();
        code.end();
        break;
      case 'else':
        code.else();
        break;
      case 'branch': {
        const { x, e } = a;
        if (e.index >= 0) hooks.edge(code, e.from, e.index);
        if (e.label >= 0) code.i32Const(e.label).localSet(labelLocal());
        const y = e.to;
        if (rpo[y]! <= rpo[x]!) code.br(depthOf('loop', y));
        else if (forwardIn[y]! >= 2) code.br(depthOf('block', y));
        else push({ k: 'tree', x: y });
        break;
      }
    }
  }
  assert(ctx.length === 0, 'unbalanced structure');
  code.op(W.unreachable);
  return { irreducible, dispatchers, reachable };
}
