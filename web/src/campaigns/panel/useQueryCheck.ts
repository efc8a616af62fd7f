import { useEffect, useState } from 'react';
import { api, type ErrorBody } from '../../api/client';
import type { Node } from '../../audiences/tree/node';
import { DEBOUNCE_MS, type Problem } from '../../audiences/useLiveCount';

/** A query to check: its text or its tree, over a dimension, with the
 * campaign's variables as its `$name` parameters. */
export interface QueryCheck {
  text?: string;
  where?: Node;
  dimension?: string;
  params?: Record<string, unknown>;
}

export interface Checked {
  /** The key of the request the answer is for. */
  key?: string;
  text?: string;
  where?: Node | null;
  problems?: Problem[];
  error?: string;
  pending: boolean;
}

/** useQueryCheck asks POST /api/audiences/validate for a query's other
 * form and problems (the builder's useValidate, with the dimension and
 * the parameters a campaign's query has): debounced, superseded requests
 * aborted. */
export function useQueryCheck(q: QueryCheck | undefined): Checked {
  const [state, setState] = useState<Omit<Checked, 'pending'>>({});
  const key = q ? JSON.stringify(q) : '';
  useEffect(() => {
    if (key === '') return;
    const ctrl = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const body = JSON.parse(key) as QueryCheck & { where?: Record<string, never> };
        const { data, error, response } = await api.POST('/api/audiences/validate', { body: body as never, signal: ctrl.signal });
        if (ctrl.signal.aborted) return;
        if (data) {
          setState({ key, text: data.text, where: (data.where ?? null) as Node | null });
          return;
        }
        const details = (error as ErrorBody | undefined)?.error?.details;
        if (response.status === 400 && Array.isArray(details)) setState({ key, problems: details as Problem[] });
        else setState({ key, error: (error as ErrorBody | undefined)?.error?.message ?? response.statusText });
      } catch (err) {
        if (!ctrl.signal.aborted) setState({ key, error: (err as Error).message });
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [key]);
  return { ...state, pending: key !== '' && state.key !== key };
}
