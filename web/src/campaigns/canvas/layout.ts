// Automatic layout (dagre, left to right) for documents written by hand,
// which carry no layout, and for the "Tidy up" button.
import { Graph, layout } from '@dagrejs/dagre';
import { transitionsOf, type CampaignDoc, type Position } from '../doc';

/** The size the canvas draws an activity (ActivityNode's box). */
export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 72;

/** autoLayout places every activity of the document, left to right
 * along its transitions; it answers each one's top-left corner. */
export function autoLayout(doc: CampaignDoc): Record<string, Position> {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of Object.keys(doc.activities)) g.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const t of transitionsOf(doc)) {
    if (t.from in doc.activities && t.to in doc.activities && t.from !== t.to) g.setEdge(t.from, t.to);
  }
  layout(g);
  const out: Record<string, Position> = {};
  for (const id of Object.keys(doc.activities)) {
    const n = g.node(id);
    out[id] = { x: Math.round(n.x - NODE_WIDTH / 2), y: Math.round(n.y - NODE_HEIGHT / 2) };
  }
  return out;
}

/** positions answers where to draw each activity: the document's layout,
 * and for those it leaves out, the automatic layout's. */
export function positions(doc: CampaignDoc): Record<string, Position> {
  const ids = Object.keys(doc.activities);
  const given = doc.layout ?? {};
  const valid = (p: Position | undefined): p is Position => !!p && Number.isFinite(p.x) && Number.isFinite(p.y);
  const auto = ids.every((id) => valid(given[id])) ? {} : autoLayout(doc);
  return Object.fromEntries(ids.map((id) => { const g = given[id]; return [id, valid(g) ? g : (auto[id] ?? { x: 0, y: 0 })]; }));
}
