import { useEffect, useState } from 'react';
import { api, type ErrorBody, type Schemas } from '../api/client';

/** DEBOUNCE_MS is how long typing must pause before a count is asked: short
 * enough to feel live, long enough that a burst of keys asks once. */
export const DEBOUNCE_MS = 120;

export interface Problem {
  path: string;
  message: string;
}

export type Breakdown = NonNullable<Schemas['CountResult']['breakdown']>;

export interface LiveCount {
  /** The last count the server gave, kept while a new one runs. */
  count?: number;
  /** Its breakdown, when one was asked. */
  breakdown?: Breakdown;
  millis?: number;
  /** The text that count is for. */
  countedText?: string;
  /** True while a count for the current text is asked or runs. */
  pending: boolean;
  /** Problems of the current text (the API's node paths), if refused. */
  problems?: Problem[];
  /** Another failure (timeout, server error). */
  error?: string;
}

/** useLiveCount counts the audience the text describes, again on each
 * change: debounced, and each superseded request aborted, so the server's
 * count ends with it (its context ends when the browser aborts). With
 * breakdown, the count is broken down by that attribute (top values). */
export function useLiveCount(text: string, breakdown?: string): LiveCount {
  const [state, setState] = useState<LiveCount>({ pending: false });
  const query = text.trim();

  useEffect(() => {
    if (query === '') {
      setState((s) => ({ ...s, pending: false, problems: undefined, error: undefined }));
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ ...s, pending: true }));
    const timer = setTimeout(async () => {
      try {
        const body = breakdown ? { text: query, breakdown, top: 12 } : { text: query };
        const { data, error, response } = await api.POST('/api/audiences/count', { body, signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        if (data) {
          setState({ count: data.count, breakdown: data.breakdown, millis: data.millis, countedText: query, pending: false });
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
  }, [query, breakdown]);

  return state;
}
