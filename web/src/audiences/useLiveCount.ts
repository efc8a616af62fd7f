import { useEffect, useState } from 'react';
import { api, type ErrorBody } from '../api/client';

/** DEBOUNCE_MS is how long typing must pause before a count is asked: short
 * enough to feel live, long enough that a burst of keys asks once. */
export const DEBOUNCE_MS = 120;

export interface Problem {
  path: string;
  message: string;
}

export interface LiveCount {
  /** The last count the server gave, kept while a new one runs. */
  count?: number;
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
 * count ends with it (its context ends when the browser aborts). */
export function useLiveCount(text: string): LiveCount {
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
        const { data, error, response } = await api.POST('/api/audiences/count', { body: { text: query }, signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        if (data) {
          setState({ count: data.count, millis: data.millis, countedText: query, pending: false });
          return;
        }
        const body = error as ErrorBody | undefined;
        const details = body?.error?.details;
        if (response.status === 400 && Array.isArray(details)) {
          setState((s) => ({ ...s, pending: false, problems: details as Problem[], error: undefined }));
        } else {
          setState((s) => ({ ...s, pending: false, problems: undefined, error: body?.error?.message ?? response.statusText }));
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
  }, [query]);

  return state;
}
