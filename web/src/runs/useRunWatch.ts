import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';

export type RunUpdate = Schemas['RunUpdate'];

/** Sample is what the monitor keeps of an update to measure rates: when it
 * arrived (ms since the epoch) and, per channel activity, how many of its
 * messages had an outcome (sent, excluded, failed, dropped). */
export interface Sample {
  at: number;
  settled: Record<string, number>;
}

/** samplesKept bounds the samples: updates come at most every half second
 * (service.WatchPoll), so about the last ten seconds. */
const samplesKept = 20;

function sampleOf(update: RunUpdate, at: number): Sample {
  const settled: Record<string, number> = {};
  for (const d of update.delivery) settled[d.activity] = d.sent + d.excluded + d.failed + d.dropped;
  return { at, settled };
}

/** useRunWatch follows a run live over GET /api/runs/{id}/events (server-sent
 * events, read from the store by the server, so what another node records
 * shows too). It returns the latest update, or undefined until the first;
 * the stream closes after the final update. An id of 0 watches nothing.
 * samples are the recent updates' arrival times and settled counts (for
 * rates); received is when the latest update arrived. */
export function useRunWatch(id: number): { update?: RunUpdate; error?: string; received?: number; samples?: Sample[] } {
  const [state, setState] = useState<{ id: number; update?: RunUpdate; error?: string; samples: Sample[] }>({ id, samples: [] });
  useEffect(() => {
    if (!id) return;
    const es = new EventSource(`/api/runs/${id}/events`, { withCredentials: true });
    es.addEventListener('update', (e) => {
      const update = JSON.parse((e as MessageEvent<string>).data) as RunUpdate;
      const sample = sampleOf(update, Date.now());
      setState((s) => ({ id, update, samples: [...(s.id === id ? s.samples : []), sample].slice(-samplesKept) }));
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
  return state.id === id ? { update: state.update, error: state.error, received: state.samples.at(-1)?.at, samples: state.samples } : {};
}

/** rateOf is an activity's messages with an outcome per second over the
 * samples (0 with fewer than two, or when none changed). */
export function rateOf(samples: Sample[] | undefined, activity: string): number {
  if (!samples || samples.length < 2) return 0;
  const first = samples.find((s) => activity in s.settled);
  const last = samples.at(-1)!;
  if (!first || first === last || !(activity in last.settled)) return 0;
  const dt = (last.at - first.at) / 1000;
  return dt > 0 ? Math.max(0, (last.settled[activity]! - first.settled[activity]!) / dt) : 0;
}
