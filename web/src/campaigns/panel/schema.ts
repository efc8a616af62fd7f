// The JSON Schema of an activity type's settings (GET /api/activity-types)
// as the panel reads it: the few keywords the server's reflected schemas
// use, and the small pure functions that edit an activity along a path.
import type { Schemas } from '../../api/client';
import type { Activity } from '../doc';

export type ActivityType = Schemas['ActivityType'];

/** JSONSchema is the part of JSON Schema 2020-12 the settings use. */
export interface JSONSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JSONSchema>;
  required?: string[];
  items?: JSONSchema;
  additionalProperties?: boolean | JSONSchema;
  enum?: unknown[];
  oneOf?: JSONSchema[];
  anyOf?: JSONSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
}

/** Problem is a validation problem of the document (POST
 * /api/campaigns/validate): its path in the document, its line there, what
 * is wrong, and the activity it concerns. */
export interface Problem {
  path: string;
  line?: number;
  message: string;
  activity?: string;
}

/** settingsOf answers a type's settings schema (an empty object schema
 * for an unknown type: its settings are then edited as text only). */
export function settingsOf(types: ActivityType[], type: string): JSONSchema {
  const t = types.find((x) => x.type === type);
  return (t?.settings as JSONSchema | undefined) ?? { type: 'object', properties: {} };
}

/** Kind is how the form edits a value of a schema. */
export type Kind = 'enum' | 'string' | 'number' | 'integer' | 'boolean' | 'tags' | 'list' | 'object' | 'map' | 'variants' | 'json';

export function kindOf(s: JSONSchema): Kind {
  if (s.enum) return 'enum';
  if (s.oneOf || s.anyOf) return 'variants';
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return s.items?.type === 'object' ? 'list' : 'tags';
    case 'object':
      if (s.properties && Object.keys(s.properties).length > 0) return 'object';
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return 'map';
      return 'map';
    default:
      return 'json';
  }
}

/** A step of a path in an activity: a key or an index of a list. */
export type Step = string | number;
export type Path = Step[];

/** pathText writes a path as validation problems do: `subsets[1].where`. */
export function pathText(path: Path): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** relative reads a problem's path as a path inside activity id:
 * `activities.groups.subsets[1].where` → `subsets[1].where`; '' for the
 * activity itself; undefined for another activity's. */
export function relative(problem: Problem, id: string): string | undefined {
  const prefix = `activities.${id}`;
  if (problem.path === prefix) return '';
  if (problem.path.startsWith(prefix + '.')) return problem.path.slice(prefix.length + 1);
  if (problem.path.startsWith(prefix + '[')) return problem.path.slice(prefix.length);
  return problem.activity === id ? '' : undefined;
}

/** under answers the messages of the problems at path or below it. */
export function under(problems: { rel: string; message: string }[], path: Path): string[] {
  const p = pathText(path);
  return problems.filter((x) => x.rel === p || x.rel.startsWith(p + '.') || x.rel.startsWith(p + '[')).map((x) => x.message);
}

/** getIn reads the value at a path. */
export function getIn(v: unknown, path: Path): unknown {
  let cur = v;
  for (const s of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s as string];
  }
  return cur;
}

/** empty is a value the document leaves out: undefined, '', an empty list
 * or object. */
function empty(v: unknown): boolean {
  if (v === undefined || v === '' || v === null) return true;
  if (Array.isArray(v)) return false; // a list keeps its place (an empty list of subsets is a problem to show)
  return false;
}

/** setIn answers a copy of v with the value at path replaced; an empty
 * value removes an object's key (the document stays as a person writes
 * it), every other key is kept as it was. */
export function setIn<T>(v: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path as [Step, ...Step[]];
  if (typeof head === 'number') {
    const list = Array.isArray(v) ? [...(v as unknown[])] : [];
    list[head] = setIn(list[head], rest, value);
    return list as T;
  }
  const obj = v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
  const next = setIn(obj[head], rest, value);
  // A group left with no key (an optional window, emptied) goes too.
  const emptied = next !== null && typeof next === 'object' && !Array.isArray(next) && Object.keys(next).length === 0 && rest.length > 0;
  if (rest.length === 0 ? empty(next) : next === undefined || emptied) delete obj[head];
  else obj[head] = next;
  return obj as T;
}

/** withField answers the activity with one setting changed. */
export function withField(a: Activity, path: Path, value: unknown): Activity {
  return setIn(a, path, value);
}

/** IDENTIFIER is the rule of activity ids (docs/campaigns.md). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** move answers the list with item i moved by delta places. */
export function move<T>(list: T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (j < 0 || j >= list.length) return list;
  const next = [...list];
  const [x] = next.splice(i, 1);
  next.splice(j, 0, x as T);
  return next;
}
