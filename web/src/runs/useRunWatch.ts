import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';

export type RunUpdate = Schemas['RunUpdate'];

/** useRunWatch follows a run live over GET /api/runs/{id}/events (server-sent
 * events, read from the store by the server, so what another node records
 * shows too). It returns the latest update, or undefined until the first;
 * the stream closes after the final update. An id of 0 watches nothing. */
export function useRunWatch(id: number): { update?: RunUpdate; error?: string } {
  const [state, setState] = useState<{ id: number; update?: RunUpdate; error?: string }>({ id });
  useEffect(() => {
    if (!id) return;
    const es = new EventSource(`/api/runs/${id}/events`, { withCredentials: true });
    es.addEventListener('update', (e) => {
      const update = JSON.parse((e as MessageEvent<string>).data) as RunUpdate;
      setState({ id, update });
      if (update.final) es.close();
    });
    es.addEventListener('error', (e) => {
      const data = (e as MessageEvent<string | undefined>).data;
      if (data) {
        // The server's own error event: the run could not be read.
        setState((s) => ({ ...s, error: (JSON.parse(data) as { error?: { message?: string } }).error?.message ?? data }));
        es.close();
      }
      // Otherwise the connection dropped: EventSource reconnects by itself.
    });
    return () => es.close();
  }, [id]);
  return state.id === id ? { update: state.update, error: state.error } : {};
}
