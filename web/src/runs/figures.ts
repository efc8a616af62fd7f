// A run's figures as the console sums them: the delivery figures of its
// channel activities (a live run), or the rows that reached them (a
// simulation sends nothing).
import type { Schemas } from '../api/client';

export type DeliveryFigures = Schemas['DeliveryFigures'];
export type RunStatus = Schemas['RunStatus'];
export type ActivityStatus = NonNullable<RunStatus['activities']>[number];

/** channelTypes are the activity types that send messages. */
export const channelTypes = new Set(['email', 'sms', 'push']);

/** Totals are a run's delivery figures summed over its channel
 * activities. */
export interface Totals {
  targeted: number;
  sent: number;
  excluded: number;
  failed: number;
  dropped: number;
  held: number;
  pending: number;
  inDoubt: number;
}

/** totals sums the delivery figures of every channel activity. */
export function totals(delivery: DeliveryFigures[]): Totals {
  const t: Totals = { targeted: 0, sent: 0, excluded: 0, failed: 0, dropped: 0, held: 0, pending: 0, inDoubt: 0 };
  for (const d of delivery) {
    t.targeted += d.targeted;
    t.sent += d.sent;
    t.excluded += d.excluded;
    t.failed += d.failed;
    t.dropped += d.dropped;
    t.held += d.held;
    t.pending += d.pending;
    t.inDoubt += d.in_doubt;
  }
  return t;
}

/** settled is how many of a channel's messages have an outcome: sent,
 * excluded, failed or dropped (the progress bar's share of targeted). */
export function settledOf(d: Pick<DeliveryFigures, 'sent' | 'excluded' | 'failed' | 'dropped'>): number {
  return d.sent + d.excluded + d.failed + d.dropped;
}

/** simulatedTargets sums the rows that reached a run's channel activities
 * (what a simulation would have sent to). */
export function simulatedTargets(status: RunStatus): number {
  return (status.activities ?? []).filter((a) => channelTypes.has(a.type)).reduce((n, a) => n + (a.rows_in ?? 0), 0);
}

/** finalRunStatuses are the run statuses after which no activity starts. */
export const finalRunStatuses = new Set(['completed', 'failed', 'stopped']);
