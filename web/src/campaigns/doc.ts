// The campaign document as the console holds it: the same YAML/JSON
// document as the CLI's (docs/campaigns.md), parsed into plain objects. The
// canvas edits it; the server parses and validates it.

/** Activity is one activity of the document: its type and its settings,
 * exactly as written (settings vary by type: GET /api/activity-types
 * publishes each type's JSON Schema). */
export type Activity = { type: string } & Record<string, unknown>;

/** Position is where the canvas draws an activity (the document's layout). */
export interface Position {
  x: number;
  y: number;
}

/** CampaignDoc is a parsed document; fields the console does not know are
 * kept as they are. */
export interface CampaignDoc {
  name: string;
  description?: string;
  dimension?: string;
  variables?: Record<string, unknown>;
  schedule?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  activities: Record<string, Activity>;
  transitions?: (string | TransitionObject)[];
  layout?: Record<string, Position>;
  [field: string]: unknown;
}

export interface TransitionObject {
  from: string;
  output?: string;
  to: string;
}

/** Transition is a transition read: the output defaults to `out`. */
export interface Transition {
  from: string;
  output: string;
  to: string;
}

/** readTransition reads "from -> to", "from.output -> to" or the object
 * form; undefined when it is neither (the server names the problem). */
export function readTransition(t: string | TransitionObject): Transition | undefined {
  if (typeof t !== 'string') {
    if (!t || typeof t.from !== 'string' || typeof t.to !== 'string') return undefined;
    return { from: t.from, output: t.output || 'out', to: t.to };
  }
  const [left, right, extra] = t.split('->');
  if (left === undefined || right === undefined || extra !== undefined) return undefined;
  const to = right.trim();
  const l = left.trim();
  if (!l || !to) return undefined;
  const dot = l.indexOf('.');
  if (dot < 0) return { from: l, output: 'out', to };
  return { from: l.slice(0, dot), output: l.slice(dot + 1), to };
}

/** writeTransition writes a transition as the CLI's formatter does:
 * "from -> to" for the `out` output, else "from.output -> to". */
export function writeTransition(t: Transition): string {
  return t.output === 'out' ? `${t.from} -> ${t.to}` : `${t.from}.${t.output} -> ${t.to}`;
}

/** transitionsOf reads every transition of the document that reads. */
export function transitionsOf(doc: CampaignDoc): Transition[] {
  return (doc.transitions ?? []).map(readTransition).filter((t): t is Transition => t !== undefined);
}

/** upstreamOf lists the activities whose rows can reach id, nearest first
 * (the enrichment columns a channel activity may use come from them). */
export function upstreamOf(doc: CampaignDoc, id: string): string[] {
  const ts = transitionsOf(doc);
  const seen = new Set<string>([id]);
  const out: string[] = [];
  let frontier = [id];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const x of frontier) {
      for (const t of ts) {
        if (t.to === x && !seen.has(t.from)) {
          seen.add(t.from);
          out.push(t.from);
          next.push(t.from);
        }
      }
    }
    frontier = next;
  }
  return out;
}
