import { useEffect, useState } from 'react';
import { api, type ErrorBody, type Schemas } from '../api/client';
import type { Node } from './tree/node';

/** DEBOUNCE_MS is how long typing must pause before a count is asked: short
 * enough to feel live, long enough that a burst of keys asks once. */
export const DEBOUNCE_MS = 120;

export interface Problem {
  path: string;
  message: string;
}

export type Breakdown = NonNullable<Schemas['CountResult']['breakdown']>;
export type Sample = NonNullable<Schemas['CountResult']['sample']>;

/** What to count: the JSON tree (the builder) or a text, and what to
 * return with the count. */
export interface CountQuery {
  where?: Node;
  text?: string;
  breakdown?: string;
  sample?: number;
  attributes?: string[];
}

export interface LiveCount {
  /** The last count the server gave, kept while a new one runs. */
  count?: number;
  /** Its breakdown, when one was asked. */
  breakdown?: Breakdown;
  /** Its sample rows, when asked. */
  sample?: Sample;
  millis?: number;
  /** The key (queryKey) of the query that count is for. */
  countedKey?: string;
  /** True while a count for the current query is asked or runs. */
  pending: boolean;
  /** Problems of the current query (the API's node paths), if refused. */
  problems?: Problem[];
  /** Another failure (timeout, server error). */
  error?: string;
}

/** queryKey identifies a count's query: equal keys, equal answers. */
export function queryKey(q: CountQuery | undefined): string {
  return q ? JSON.stringify(q) : '';
}

/** useLiveCount counts the audience the query describes, again on each
 * change: debounced, and each superseded request aborted, so the server's
 * count ends with it (its context ends when the browser aborts). With
 * breakdown, the count is broken down by that attribute (top values); with
 * sample, the first rows come with it. No query, no count. */
export function useLiveCount(query: CountQuery | undefined): LiveCount {
  const [state, setState] = useState<LiveCount>({ pending: false });
  const key = queryKey(query);

  useEffect(() => {
    if (key === '') {
      setState((s) => ({ ...s, pending: false, problems: undefined, error: undefined }));
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ ...s, pending: true }));
    const timer = setTimeout(async () => {
      try {
        const q = JSON.parse(key) as CountQuery;
        const body = { ...q, where: q.where as Record<string, never> | undefined, top: q.breakdown ? 12 : undefined };
        const { data, error, response } = await api.POST('/api/audiences/count', { body, signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        if (data) {
          setState({ count: data.count, breakdown: data.breakdown, sample: data.sample, millis: data.millis, countedKey: key, pending: false });
          return;
        }
        const failure = error as ErrorBody | undefined;
        const details = failure?.error?.details;
        if (response.status === 400 && Array.isArray(details)) {
          setState((s) => ({ ...s, pending: false, problems: details as Problem[], error: undefined }));
        } else {
          setState((s) => ({ ...s, pending: false, problems: undefined, error: failure?.error?.message ?? response.statusText }));
        }
      } catch (err) {
        if (ctrl.signal.aborted) return; // superseded: a newer count runs
        setState((s) => ({ ...s, pending: false, error: (err as Error).message }));
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [key]);

  return state;
}
