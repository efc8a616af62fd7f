// The operators each attribute type takes and the value each wants, as
// docs/audiences.md's operators table says (the server checks again).

import type { Node, Value } from './node';

export type ValueKind = 'none' | 'one' | 'list' | 'range' | 'duration' | 'days' | 'weekdays';

const ORDERED = ['integer', 'decimal', 'date', 'timestamp', 'string'];
const LISTED = ['string', 'enum', 'integer', 'decimal', 'date'];
const RANGED = ['integer', 'decimal', 'date', 'timestamp'];
const TEXT = ['string', 'enum'];
const TIME = ['date', 'timestamp'];

interface OpSpec {
  op: string;
  types: (type: string) => boolean;
  value: ValueKind;
}

const among = (list: string[]) => (t: string) => list.includes(t);

const SPECS: OpSpec[] = [
  { op: '=', types: (t) => t !== 'json', value: 'one' },
  { op: '!=', types: (t) => t !== 'json', value: 'one' },
  { op: '<', types: among(ORDERED), value: 'one' },
  { op: '<=', types: among(ORDERED), value: 'one' },
  { op: '>', types: among(ORDERED), value: 'one' },
  { op: '>=', types: among(ORDERED), value: 'one' },
  { op: 'in', types: among(LISTED), value: 'list' },
  { op: 'not_in', types: among(LISTED), value: 'list' },
  { op: 'between', types: among(RANGED), value: 'range' },
  { op: 'contains', types: among(TEXT), value: 'one' },
  { op: 'starts_with', types: among(TEXT), value: 'one' },
  { op: 'ends_with', types: among(TEXT), value: 'one' },
  { op: 'is_null', types: () => true, value: 'none' },
  { op: 'is_not_null', types: () => true, value: 'none' },
  { op: 'is_empty', types: (t) => t === 'string', value: 'none' },
  { op: 'is_not_empty', types: (t) => t === 'string', value: 'none' },
  { op: 'before', types: among(TIME), value: 'one' },
  { op: 'after', types: among(TIME), value: 'one' },
  { op: 'within_last', types: among(TIME), value: 'duration' },
  { op: 'within_next', types: among(TIME), value: 'duration' },
  { op: 'day_of_week', types: among(TIME), value: 'weekdays' },
  { op: 'anniversary_within', types: (t) => t === 'date', value: 'days' },
];

/** operatorsFor lists the operators an attribute type takes. */
export function operatorsFor(type: string | undefined): string[] {
  if (!type) return SPECS.map((s) => s.op);
  return SPECS.filter((s) => s.types(type)).map((s) => s.op);
}

export function valueKind(op: string | undefined): ValueKind {
  return SPECS.find((s) => s.op === op)?.value ?? 'one';
}

/** Operators that take case_insensitive. */
export const CASE_OPS = ['contains', 'starts_with', 'ends_with'];

/** Comparisons of counts and aggregates. */
export const COMPARE_OPS = ['=', '!=', '<', '<=', '>', '>='];

/** Aggregates by the attribute types they take. */
export const AGGREGATES = ['count', 'sum', 'avg', 'min', 'max'] as const;
export function aggregateTakes(fn: string, type: string): boolean {
  if (fn === 'sum' || fn === 'avg') return type === 'integer' || type === 'decimal';
  return ['integer', 'decimal', 'date', 'timestamp'].includes(type);
}

export const DURATION_UNITS = ['s', 'min', 'h', 'd', 'w', 'mo', 'y'];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** defaultValue is a fitting first value when the operator changes, kept
 * when the old value still fits. */
export function fitValue(op: string, old: Value | undefined): Value | undefined {
  const kind = valueKind(op);
  const isList = Array.isArray(old);
  switch (kind) {
    case 'none':
      return undefined;
    case 'list':
      return isList ? old : old === undefined || old === null ? [] : [old];
    case 'range':
      return isList && old.length === 2 ? old : [null, null];
    case 'duration':
      return typeof old === 'string' && /^\d+[a-z]+$/.test(old) ? old : '30d';
    case 'days':
      return typeof old === 'number' ? old : 7;
    case 'weekdays':
      return isList && old.every((d) => typeof d === 'string' && WEEKDAYS.includes(d)) ? old : ['sat', 'sun'];
    default:
      return isList ? (old[0] ?? null) : old === undefined ? null : old;
  }
}

const blank = (v: Value | undefined) => v === undefined || v === null || v === '';

/** missing says what a node still lacks before the server can read it
 * (an attribute, a value, a collection, an audience), or undefined when
 * it is complete. Such a tree is not sent: a half-made condition is not
 * an error. */
export function missing(n: Node): 'attribute' | 'value' | 'link' | 'audience' | 'condition' | undefined {
  // An empty any-of matches nothing: the server refuses it.
  if (n.or && n.or.length === 0) return 'condition';
  if (n.audience !== undefined) return n.audience === '' ? 'audience' : undefined;
  if (n.link !== undefined) {
    if (n.link === '') return 'link';
    if (n.count && blank(n.count.value)) return 'value';
    if (n.aggregate && (n.aggregate.attr === '' || blank(n.aggregate.value))) return 'value';
    return undefined;
  }
  if (n.attr === undefined) return undefined;
  if (n.attr === '') return 'attribute';
  const kind = valueKind(n.op);
  if (kind === 'none') return undefined;
  if (blank(n.value)) return 'value';
  if (Array.isArray(n.value) && (n.value.length === 0 || n.value.some((v) => blank(v)))) return 'value';
  return undefined;
}
