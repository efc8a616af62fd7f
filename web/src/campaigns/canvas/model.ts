// The canvas's model: small pure functions from a campaign document to
// another (add, connect, delete, paste, rename, move) and from a document
// to what the canvas draws. The document is the truth; the canvas holds
// only view state (STYLE.md).
import { parse, stringify } from 'yaml';
import type { Schemas } from '../../api/client';
import { readTransition, transitionsOf, writeTransition, type Activity, type CampaignDoc, type Position, type Transition } from '../doc';

export type ActivityType = Schemas['ActivityType'];

/** Parsed is a text read as a document, or why it could not be. */
export type Parsed = { doc: CampaignDoc; error?: undefined } | { doc?: undefined; error: string };

/** parseDoc reads a YAML or JSON campaign document (JSON is YAML). */
export function parseDoc(text: string): Parsed {
  try {
    const v = parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a mapping' };
    const doc = v as CampaignDoc;
    if (doc.activities !== undefined && (typeof doc.activities !== 'object' || doc.activities === null || Array.isArray(doc.activities))) return { error: 'activities is not a mapping' };
    return { doc: { ...doc, activities: doc.activities ?? {} } };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** serialize writes a document as YAML, every field kept in its order. */
export function serialize(doc: CampaignDoc): string {
  return stringify(doc, { lineWidth: 0 });
}

/** outputsOf lists an activity's output ports: its type's, then those its
 * settings add (split subsets and remainder, test branches and default,
 * combine's complement), then any a transition names that neither has (so
 * no transition of the document is hidden). */
export function outputsOf(a: Activity, type: ActivityType | undefined, used: string[] = []): string[] {
  const out = [...(type?.outputs ?? (type ? [] : ['out'])), ...(type?.optional_outputs ?? [])];
  const named = (list: unknown) => (Array.isArray(list) ? list.map((x) => (x && typeof x === 'object' ? (x as { name?: unknown }).name : undefined)).filter((n): n is string => typeof n === 'string' && n !== '') : []);
  if (a.type === 'split') {
    out.push(...named(a.subsets));
    if (a.remainder === true) out.push('remainder');
  } else if (a.type === 'test') {
    out.push(...named(a.branches), 'default');
  } else if (a.type === 'combine' && a.complement === true) {
    out.push('complement');
  }
  for (const u of used) out.push(u);
  return [...new Set(out)];
}

/** freshId answers the first `base_n` (n from 1) not already an id. */
export function freshId(doc: CampaignDoc, base: string, taken: Set<string> = new Set()): string {
  for (let n = 1; ; n++) {
    const id = `${base}_${n}`;
    if (!(id in doc.activities) && !taken.has(id)) return id;
  }
}

const round = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });

/** addActivity adds an activity of a type at a position; it answers the
 * new document and the activity's id. */
export function addActivity(doc: CampaignDoc, type: string, at: Position): { doc: CampaignDoc; id: string } {
  const id = freshId(doc, type);
  return { id, doc: { ...doc, activities: { ...doc.activities, [id]: { type } }, layout: { ...(doc.layout ?? {}), [id]: round(at) } } };
}

/** connectProblem says why a transition cannot be added (undefined: it can). */
export function connectProblem(doc: CampaignDoc, types: Map<string, ActivityType>, t: Transition): string | undefined {
  if (t.from === t.to) return 'self';
  const target = doc.activities[t.to];
  if (!target || !doc.activities[t.from]) return 'unknown';
  const type = types.get(target.type);
  const ts = transitionsOf(doc);
  if (ts.some((x) => x.from === t.from && x.output === t.output && x.to === t.to)) return 'duplicate';
  if (type?.entry) return 'entry';
  const inputs = ts.filter((x) => x.to === t.to).length;
  if (type && type.max_inputs >= 0 && inputs >= type.max_inputs) return 'full';
  if (reaches(ts, t.to, t.from)) return 'cycle';
  return undefined;
}

function reaches(ts: Transition[], from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x === to) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    for (const t of ts) if (t.from === x) stack.push(t.to);
  }
  return false;
}

/** connect adds a transition (written as the CLI writes it). */
export function connect(doc: CampaignDoc, t: Transition): CampaignDoc {
  return { ...doc, transitions: [...(doc.transitions ?? []), writeTransition(t)] };
}

const sameTransition = (a: Transition, b: Transition) => a.from === b.from && a.output === b.output && a.to === b.to;

/** removeTransitions drops the transitions listed. */
export function removeTransitions(doc: CampaignDoc, gone: Transition[]): CampaignDoc {
  if (gone.length === 0 || !doc.transitions) return doc;
  return {
    ...doc,
    transitions: doc.transitions.filter((raw) => {
      const t = readTransition(raw);
      return !t || !gone.some((g) => sameTransition(g, t));
    }),
  };
}

/** removeActivities drops activities with their transitions and layout. */
export function removeActivities(doc: CampaignDoc, ids: string[]): CampaignDoc {
  if (ids.length === 0) return doc;
  const gone = new Set(ids);
  const activities = Object.fromEntries(Object.entries(doc.activities).filter(([id]) => !gone.has(id)));
  const next: CampaignDoc = { ...doc, activities };
  if (doc.transitions) {
    next.transitions = doc.transitions.filter((raw) => {
      const t = readTransition(raw);
      return !t || (!gone.has(t.from) && !gone.has(t.to));
    });
  }
  if (doc.layout) next.layout = Object.fromEntries(Object.entries(doc.layout).filter(([id]) => !gone.has(id)));
  return next;
}

/** rename changes an activity's id everywhere the document names it: its
 * key (in place: the order is kept), transitions, layout, and the
 * settings that name an input (combine's and and_join's primary). */
export function rename(doc: CampaignDoc, from: string, to: string): CampaignDoc {
  if (from === to || !(from in doc.activities) || to in doc.activities) return doc;
  const swap = (id: string) => (id === from ? to : id);
  const activities = Object.fromEntries(
    Object.entries(doc.activities).map(([id, a]) => [swap(id), a.primary === from ? { ...a, primary: to } : a]),
  );
  const next: CampaignDoc = { ...doc, activities };
  if (doc.transitions) {
    next.transitions = doc.transitions.map((raw) => {
      const t = readTransition(raw);
      if (!t || (t.from !== from && t.to !== from)) return raw;
      if (typeof raw !== 'string') return { ...raw, from: swap(raw.from), to: swap(raw.to) };
      return writeTransition({ ...t, from: swap(t.from), to: swap(t.to) });
    });
  }
  if (doc.layout) next.layout = Object.fromEntries(Object.entries(doc.layout).map(([id, p]) => [swap(id), p]));
  return next;
}

/** move writes the positions given into the layout (rounded). */
export function move(doc: CampaignDoc, at: Record<string, Position>): CampaignDoc {
  const layout = { ...(doc.layout ?? {}) };
  for (const [id, p] of Object.entries(at)) if (id in doc.activities) layout[id] = round(p);
  return { ...doc, layout };
}

/** Clip is what a copy holds: activities, the transitions between them,
 * and where they were. */
export interface Clip {
  activities: Record<string, Activity>;
  transitions: Transition[];
  layout: Record<string, Position>;
}

/** copy takes the activities listed with their internal transitions. */
export function copy(doc: CampaignDoc, ids: string[], at: Record<string, Position>): Clip {
  const set = new Set(ids.filter((id) => id in doc.activities));
  return {
    activities: Object.fromEntries([...set].flatMap((id) => { const a = doc.activities[id]; return a ? [[id, structuredClone(a)]] : []; })),
    transitions: transitionsOf(doc).filter((t) => set.has(t.from) && set.has(t.to)),
    layout: Object.fromEntries([...set].map((id) => [id, at[id] ?? { x: 0, y: 0 }])),
  };
}

/** paste adds a clip's activities under new ids, shifted by offset; it
 * answers the document and the new ids. */
export function paste(doc: CampaignDoc, clip: Clip, offset: Position): { doc: CampaignDoc; ids: string[] } {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const [id, a] of Object.entries(clip.activities)) {
    const fresh = freshId(doc, a.type, taken);
    taken.add(fresh);
    names.set(id, fresh);
  }
  const activities = { ...doc.activities };
  const layout = { ...(doc.layout ?? {}) };
  for (const [id, a] of Object.entries(clip.activities)) {
    const fresh = names.get(id)!;
    activities[fresh] = structuredClone(a);
    const p = clip.layout[id] ?? { x: 0, y: 0 };
    layout[fresh] = round({ x: p.x + offset.x, y: p.y + offset.y });
  }
  const added = clip.transitions.map((t) => writeTransition({ ...t, from: names.get(t.from)!, to: names.get(t.to)! }));
  return { doc: { ...doc, activities, layout, transitions: [...(doc.transitions ?? []), ...added] }, ids: [...names.values()] };
}

/** withoutLayout is a document with its layout left out (a round trip
 * compares documents so). */
export function withoutLayout(doc: CampaignDoc): CampaignDoc {
  const rest = { ...doc };
  delete rest.layout;
  return rest;
}
