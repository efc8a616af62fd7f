import { useEffect, useEffectEvent, useState } from 'react';
import { api, type ErrorBody } from '../../api/client';
import { DEBOUNCE_MS, type Problem } from '../useLiveCount';
import type { Node } from './node';

/** The query in both forms, as the server reads and prints it. */
export interface BothForms {
  where: Node | null;
  text: string;
}

interface Answer {
  /** The key of the request this answer is for. */
  key?: string;
  result?: BothForms;
  /** The server's problems, each with its node path (or `text`). */
  problems?: Problem[];
  error?: string;
  /** The last valid answer, kept while the query has problems. */
  last?: BothForms;
}

export interface Validated extends Answer {
  /** True while the current request is asked or runs. */
  pending: boolean;
}

/** useValidate asks POST /api/audiences/validate for the other form of a
 * query (a tree's text, a text's tree) and its problems: debounced, each
 * superseded request aborted. No request, no answer. onValid is called
 * with each valid answer. */
export function useValidate(request: { where?: Node; text?: string } | undefined, onValid?: (r: BothForms) => void): Validated {
  const [state, setState] = useState<Answer>({});
  const key = request ? JSON.stringify(request) : '';
  const valid = useEffectEvent((r: BothForms) => onValid?.(r));

  useEffect(() => {
    if (key === '') return;
    const ctrl = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const body = JSON.parse(key) as { where?: Record<string, never>; text?: string };
        const { data, error, response } = await api.POST('/api/audiences/validate', { body, signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        if (data) {
          const result = { where: (data.where ?? null) as Node | null, text: data.text };
          setState({ key, result, last: result });
          valid(result);
          return;
        }
        const details = (error as ErrorBody | undefined)?.error?.details;
        if (response.status === 400 && Array.isArray(details)) setState((s) => ({ key, problems: details as Problem[], last: s.last }));
        else setState((s) => ({ key, error: (error as ErrorBody | undefined)?.error?.message ?? response.statusText, last: s.last }));
      } catch (err) {
        if (ctrl.signal.aborted) return;
        setState((s) => ({ key, error: (err as Error).message, last: s.last }));
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [key]);

  return { ...state, pending: key !== '' && state.key !== key };
}
