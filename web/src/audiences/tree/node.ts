// The audience query's JSON tree (docs/audiences.md) and the small pure
// functions that change it. The tree is the builder's one source of truth:
// the rule tree and the text are views of it. The API types it only as an
// object, so its shape is written here once.

export type Value = string | number | boolean | null | { param: string } | Value[];

export interface Compare {
  op: string;
  value: Value;
}

export interface Aggregate {
  fn: string;
  attr: string;
  op: string;
  value: Value;
}

export interface Node {
  and?: Node[];
  or?: Node[];
  not?: Node;
  attr?: string;
  op?: string;
  value?: Value;
  case_insensitive?: boolean;
  link?: string;
  where?: Node;
  count?: Compare;
  aggregate?: Aggregate;
  audience?: string;
}

/** A step from a node to one of its children, as the API's node paths
 * name them: `and[1]`, `or[0]`, `not`, `where`. */
export type Step = ['and' | 'or', number] | ['not'] | ['where'];
export type Path = Step[];

export type Kind = 'group' | 'not' | 'condition' | 'link' | 'audience';

export function kindOf(n: Node): Kind {
  if (n.not) return 'not';
  if (n.link !== undefined) return 'link';
  if (n.audience !== undefined) return 'audience';
  if (n.attr !== undefined) return 'condition';
  return 'group';
}

/** groupOf answers a group's operator and children ({} is "and" of none). */
export function groupOf(n: Node): { op: 'and' | 'or'; children: Node[] } {
  if (n.or) return { op: 'or', children: n.or };
  return { op: 'and', children: n.and ?? [] };
}

export function group(op: 'and' | 'or', children: Node[]): Node {
  return op === 'or' ? { or: children } : { and: children };
}

/** pathKey is a path as the API writes it, after `where`: `and[1].where.and[0]`. */
export function pathKey(p: Path): string {
  return p.map((s) => (s.length === 2 ? `${s[0]}[${s[1]}]` : s[0])).join('.');
}

/** problemKey maps an API problem path (`where.and[1].count`) to the key
 * of the node it concerns (`and[1]`), or undefined when it concerns no
 * node of the tree (`text`, a request field). */
export function problemKey(apiPath: string): string | undefined {
  if (apiPath !== 'where' && !apiPath.startsWith('where.')) return undefined;
  let rest = apiPath === 'where' ? '' : apiPath.slice('where.'.length);
  // A part of a node (its count, aggregate or value) is shown on the node.
  rest = rest.replace(/(^|\.)(count|aggregate|value|op|attr)(\[\d+\])?$/, '');
  return rest;
}

export function childAt(n: Node, s: Step): Node | undefined {
  switch (s[0]) {
    case 'and':
    case 'or':
      return n[s[0]]?.[s[1]];
    case 'not':
      return n.not;
    case 'where':
      return n.where;
  }
}

/** update returns the tree with the node at path replaced by fn(node);
 * fn returning undefined removes it from its group. */
export function update(root: Node, path: Path, fn: (n: Node) => Node | undefined): Node {
  const [s, ...rest] = path;
  if (s === undefined) return fn(root) ?? {};
  const child = childAt(root, s) ?? {};
  const next = rest.length === 0 ? fn(child) : update(child, rest, fn);
  switch (s[0]) {
    case 'and':
    case 'or': {
      const list = [...(root[s[0]] ?? [])];
      if (next === undefined) list.splice(s[1], 1);
      else list[s[1]] = next;
      return { ...root, [s[0]]: list };
    }
    case 'not':
      return next === undefined ? {} : { ...root, not: next };
    case 'where':
      return { ...root, where: next ?? { and: [] } };
  }
}

/** negate wraps a node in not, or unwraps a not. */
export function negate(n: Node): Node {
  return n.not ? n.not : { not: n };
}

/** appendChild adds a child at the end of a group. */
export function appendChild(g: Node, child: Node): Node {
  const { op, children } = groupOf(g);
  return group(op, [...children, child]);
}

/** setGroupOp turns an all-of group into an any-of group or back. */
export function setGroupOp(g: Node, op: 'and' | 'or'): Node {
  return group(op, groupOf(g).children);
}

/** asRoot makes any tree a group at the top, so that the builder always
 * has a group to add to: a lone condition becomes all(condition). */
export function asRoot(n: Node | null | undefined): Node {
  if (!n) return { and: [] };
  if (kindOf(n) === 'group') return n.or ? { or: n.or } : { and: n.and ?? [] };
  return { and: [n] };
}

/** asWhere makes a link's where a group for the same reason. */
export const asWhere = asRoot;

/** toWire is the tree as it is sent: a top group (or a link's where) of
 * one child is that child, and an empty where is none, so that the text
 * reads `a`, not `all(a)`. The meaning is the same. */
export function toWire(n: Node, top = true): Node {
  let out: Node = n;
  if (kindOf(n) === 'group') {
    const { op, children } = groupOf(n);
    const wired = children.map((c) => toWire(c, false));
    if (top && wired.length === 1 && wired[0]) return wired[0];
    out = group(op, wired);
  } else if (n.not) {
    out = { not: toWire(n.not, false) };
  } else if (n.link !== undefined) {
    out = { ...n };
    if (n.where) {
      const w = toWire(n.where, true);
      if (kindOf(w) === 'group' && groupOf(w).children.length === 0) delete out.where;
      else out.where = w;
    }
  }
  return out;
}

/** normalize makes the top and every link's where a group (as the rule
 * tree draws them): the tree of a text, where `a` stands alone. */
export function normalize(n: Node | null | undefined, top = true): Node {
  if (!n) return { and: [] };
  const inner = (c: Node): Node => {
    if (kindOf(c) === 'group') {
      const { op, children } = groupOf(c);
      return group(op, children.map(inner));
    }
    if (c.not) return { not: inner(c.not) };
    if (c.link !== undefined && c.where) return { ...c, where: normalize(c.where, true) };
    return c;
  };
  return top ? inner(asRoot(n)) : inner(n);
}

function parseKey(key: string): Path {
  if (key === '') return [];
  return key.split('.').map((part): Step => {
    const m = /^(and|or)\[(\d+)\]$/.exec(part);
    if (m) return [m[1] as 'and' | 'or', Number(m[2])];
    return part === 'not' ? ['not'] : ['where'];
  });
}

/** treeKey maps a node key of the wire form (toWire, where a top group of
 * one child is that child) to the key of the same node in the tree. */
export function treeKey(tree: Node, wireKey: string): string {
  const out: Path = [];
  let at: Node | undefined = tree;
  let top = true;
  for (const s of parseKey(wireKey)) {
    if (!at) break;
    if (top && kindOf(at) === 'group' && groupOf(at).children.length === 1) {
      const op = groupOf(at).op;
      out.push([op, 0]);
      at = groupOf(at).children[0];
    }
    out.push(s);
    at = at ? childAt(at, s) : undefined;
    top = s[0] === 'where';
  }
  if (at && top && kindOf(at) === 'group' && groupOf(at).children.length === 1) out.push([groupOf(at).op, 0]);
  return pathKey(out);
}

/** walk calls fn on every node of the tree with its path. */
export function walk(n: Node, fn: (n: Node, p: Path) => void, path: Path = []): void {
  fn(n, path);
  if (n.not) walk(n.not, fn, [...path, ['not']]);
  if (n.where) walk(n.where, fn, [...path, ['where']]);
  for (const op of ['and', 'or'] as const) n[op]?.forEach((c, i) => walk(c, fn, [...path, [op, i]]));
}
