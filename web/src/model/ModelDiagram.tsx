import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { Entity } from './types';

// The model as a diagram: entities as boxes, each link as an arrow from
// the entity that holds its columns to the one it names, labelled with its
// name, "n" at its tail and "1" at its head. The layout is computed here
// (a handful of entities need no graph library): an entity goes one column
// right of the furthest entity it links to, so the arrows point left; the
// label sits nearer the arrow's tail, where arrows to one entity are still
// apart.

const W = 200;
const H = 54;
const GAP_X = 220;
const GAP_Y = 40;
const PAD = 24;
const LOOP = 28;

interface Box {
  entity: Entity;
  x: number;
  y: number;
}

interface Edge {
  from: string;
  to: string;
  name: string;
  reverse?: string;
}

/** forwardLinks are the many-to-one links (the reverse one-to-many ones
 * are the same arrows seen from the other end). */
export function forwardLinks(entities: Entity[]): Edge[] {
  const out: Edge[] = [];
  for (const e of entities) for (const l of e.links ?? []) if (l.kind !== 'one_to_many') out.push({ from: e.name, to: l.entity, name: l.name, reverse: l.reverse });
  return out;
}

/** layout places the entities in columns by how far their links reach. */
export function layout(entities: Entity[], edges: Edge[]): { boxes: Map<string, Box>; width: number; height: number } {
  const out = new Map<string, string[]>();
  for (const e of edges) if (e.from !== e.to) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle: cut it here
    seen.add(name);
    let d = 0;
    for (const to of out.get(name) ?? []) d = Math.max(d, visit(to, seen) + 1);
    seen.delete(name);
    depth.set(name, d);
    return d;
  };
  const columns: Entity[][] = [];
  for (const e of entities) {
    const d = visit(e.name, new Set());
    (columns[d] ??= []).push(e);
  }
  for (let i = 0; i < columns.length; i++) columns[i] ??= [];
  orderRows(columns as Entity[][], edges);
  const rows = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const height = PAD * 2 + LOOP + rows * H + (rows - 1) * GAP_Y;
  const boxes = new Map<string, Box>();
  columns.forEach((col, ci) => {
    const offset = ((rows - col.length) * (H + GAP_Y)) / 2;
    col.forEach((entity, ri) => boxes.set(entity.name, { entity, x: PAD + ci * (W + GAP_X), y: PAD + LOOP + offset + ri * (H + GAP_Y) }));
  });
  const width = PAD * 2 + columns.length * W + Math.max(0, columns.length - 1) * GAP_X;
  return { boxes, width, height };
}

/** orderRows orders each column by where its entities' neighbours are
 * (the barycentre heuristic, a few sweeps each way), which undoes most
 * crossings of a small model's arrows. */
function orderRows(columns: Entity[][], edges: Edge[]) {
  const near = new Map<string, string[]>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    near.set(e.from, [...(near.get(e.from) ?? []), e.to]);
    near.set(e.to, [...(near.get(e.to) ?? []), e.from]);
  }
  const sweep = (ci: number) => {
    const row = new Map<string, number>();
    for (const col of columns) col.forEach((e, i) => row.set(e.name, i));
    const score = (e: Entity, i: number) => {
      const ns = (near.get(e.name) ?? []).map((n) => row.get(n)).filter((r): r is number => r !== undefined);
      return ns.length === 0 ? i : ns.reduce((a, b) => a + b, 0) / ns.length;
    };
    const col = columns[ci] ?? [];
    const scored = col.map((e, i) => ({ e, s: score(e, i), i }));
    scored.sort((a, b) => a.s - b.s || a.i - b.i);
    columns[ci] = scored.map((x) => x.e);
  };
  for (let pass = 0; pass < 4; pass++) {
    for (let ci = 1; ci < columns.length; ci++) sweep(ci);
    for (let ci = columns.length - 2; ci >= 0; ci--) sweep(ci);
  }
}

/** border is where the line from a box's centre towards (dx, dy) leaves it. */
function border(b: Box, dx: number, dy: number): [number, number] {
  const cx = b.x + W / 2;
  const cy = b.y + H / 2;
  const t = Math.min(dx === 0 ? Infinity : W / 2 / Math.abs(dx), dy === 0 ? Infinity : H / 2 / Math.abs(dy));
  return [cx + dx * t, cy + dy * t];
}

export function ModelDiagram({ entities }: { entities: Entity[] }) {
  const { t } = useTranslation();
  const id = useId();
  const edges = forwardLinks(entities);
  const { boxes, width, height } = layout(entities, edges);
  const described = edges.map((e) => t('model.diagram.edge', { from: e.from, name: e.name, to: e.to })).join('; ');
  const pairs = new Map<string, number>();
  return (
    <svg
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      style={{ maxWidth: width, display: 'block', fontFamily: 'var(--mantine-font-family)' }}
      data-testid="model-diagram"
    >
      <title id={`${id}-title`}>{t('model.diagram.title')}</title>
      <desc id={`${id}-desc`}>{described || t('model.diagram.noLinks')}</desc>
      <defs>
        <marker id={`${id}-arrow`} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="var(--mantine-color-gray-8)" />
        </marker>
      </defs>
      {edges.map((e) => {
        const a = boxes.get(e.from);
        const b = boxes.get(e.to);
        if (!a || !b) return null;
        const key = `${e.from}.${e.name}`;
        const label = t('model.diagram.label', { name: e.name });
        if (a === b) {
          // A link to its own entity: a loop over the box.
          const x0 = a.x + W - 50;
          const x1 = a.x + W - 20;
          return (
            <g key={key}>
              <path d={`M${x0},${a.y} C${x0},${a.y - LOOP} ${x1},${a.y - LOOP} ${x1},${a.y}`} fill="none" stroke="var(--mantine-color-gray-8)" markerEnd={`url(#${id}-arrow)`} />
              <EdgeLabel x={(x0 + x1) / 2} y={a.y - LOOP + 4} text={label} />
            </g>
          );
        }
        // Parallel links between the same two entities are spread apart.
        const pair = [e.from, e.to].sort().join('>');
        const nth = pairs.get(pair) ?? 0;
        pairs.set(pair, nth + 1);
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const shift = nth * 16;
        const [px, py] = [(-dy / len) * shift, (dx / len) * shift];
        const [x1, y1] = border(a, dx, dy);
        const [x2, y2] = border(b, -dx, -dy);
        const ux = (x2 - x1) / (Math.hypot(x2 - x1, y2 - y1) || 1);
        const uy = (y2 - y1) / (Math.hypot(x2 - x1, y2 - y1) || 1);
        return (
          <g key={key}>
            <line x1={x1 + px} y1={y1 + py} x2={x2 + px} y2={y2 + py} stroke="var(--mantine-color-gray-8)" markerEnd={`url(#${id}-arrow)`} />
            <text x={x1 + px + ux * 12 - uy * 8} y={y1 + py + uy * 12 + ux * 8 + 4} fontSize={11} textAnchor="middle" fill="var(--mantine-color-gray-9)">
              {t('model.diagram.many')}
            </text>
            <text x={x2 + px - ux * 14 - uy * 8} y={y2 + py - uy * 14 + ux * 8 + 4} fontSize={11} textAnchor="middle" fill="var(--mantine-color-gray-9)">
              {t('model.diagram.one')}
            </text>
            <EdgeLabel x={x1 + (x2 - x1) * 0.38 + px} y={y1 + (y2 - y1) * 0.38 + py} text={label} />
          </g>
        );
      })}
      {[...boxes.values()].map(({ entity: e, x, y }) => (
        <g key={e.name}>
          <rect
            x={x}
            y={y}
            width={W}
            height={H}
            rx={6}
            fill="var(--mantine-color-body)"
            stroke={e.targeting ? 'var(--mantine-primary-color-filled)' : 'var(--mantine-color-gray-6)'}
            strokeWidth={e.targeting ? 2.5 : 1.5}
          />
          <text x={x + 12} y={y + 22} fontSize={14} fontWeight={700} fill="var(--mantine-color-text)">
            {e.name}
          </text>
          <text x={x + 12} y={y + 41} fontSize={11} fill="var(--mantine-color-gray-8)">
            {e.targeting
              ? t('model.diagram.dimensionBox', { count: e.attributes?.length ?? 0 })
              : t('model.diagram.attributes', { count: e.attributes?.length ?? 0 })}
          </text>
        </g>
      ))}
    </svg>
  );
}

function EdgeLabel({ x, y, text }: { x: number; y: number; text: string }) {
  const w = text.length * 6.4 + 10;
  return (
    <g>
      <rect x={x - w / 2} y={y - 9} width={w} height={18} rx={3} fill="var(--mantine-color-body)" stroke="var(--mantine-color-gray-4)" />
      <text x={x} y={y + 4} fontSize={11} textAnchor="middle" fill="var(--mantine-color-text)">
        {text}
      </text>
    </g>
  );
}
