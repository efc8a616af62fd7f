// Why a run sends nothing (or some of its messages wait), read from one
// update: the monitor answers it at the top, in the user's words.
import { channelTypes, totals } from './figures';
import type { RunUpdate } from './useRunWatch';

/** Cause is one reason messages are not going out. */
export type Cause =
  | { kind: 'simulation' }
  | { kind: 'paused' }
  | { kind: 'confirmation'; held: number; targeted: number }
  | { kind: 'sendWindow'; count: number; activities: string[] }
  | { kind: 'providerResting'; count: number; activities: string[] }
  | { kind: 'emptyAudience'; activity: string }
  | { kind: 'allExcluded'; activity: string; excluded: number; reasons: Record<string, number> }
  | { kind: 'inDoubt'; count: number }
  | { kind: 'waitingRetry'; activity: string; error?: string }
  | { kind: 'failed'; error?: string }
  | { kind: 'stopped' };

/** causes lists why the run's messages do not go out, most pressing
 * first; empty when nothing holds them. */
export function causes(update: RunUpdate): Cause[] {
  const { run } = update.status;
  const activities = update.status.activities ?? [];
  const out: Cause[] = [];
  if (run.mode === 'simulate') out.push({ kind: 'simulation' });
  // A run paused, or the send of a run whose activities are done: its
  // messages paused.
  const pausedMessages = update.delivery.reduce((n, d) => n + d.paused, 0);
  if (run.status === 'paused' || pausedMessages > 0) out.push({ kind: 'paused' });
  if (run.status === 'failed') out.push({ kind: 'failed', error: run.error });
  if (run.status === 'stopped') out.push({ kind: 'stopped' });
  for (const a of activities) {
    if (a.status === 'failed' && run.status === 'waiting') out.push({ kind: 'waitingRetry', activity: a.id, error: a.error });
  }
  const sum = totals(update.delivery);
  if (sum.held > 0) out.push({ kind: 'confirmation', held: sum.held, targeted: sum.targeted });
  const waitingFor = (reason: string) => {
    const acts = update.delivery.filter((d) => (d.pending_by_reason?.[reason] ?? 0) > 0);
    return { count: acts.reduce((n, d) => n + (d.pending_by_reason?.[reason] ?? 0), 0), activities: acts.map((d) => d.activity) };
  };
  const window = waitingFor('outside_send_window');
  if (window.count > 0) out.push({ kind: 'sendWindow', ...window });
  const resting = waitingFor('provider_unavailable');
  if (resting.count > 0) out.push({ kind: 'providerResting', ...resting });
  if (sum.inDoubt > 0) out.push({ kind: 'inDoubt', count: sum.inDoubt });
  // A channel activity that ran on no row: its audience was empty.
  for (const a of activities) {
    if (!channelTypes.has(a.type) || (a.status !== 'done' && a.status !== 'skipped')) continue;
    const figs = update.delivery.find((d) => d.activity === a.id);
    if ((a.rows_in ?? 0) === 0 && (!figs || figs.targeted === 0)) out.push({ kind: 'emptyAudience', activity: a.id });
    else if (figs && figs.targeted > 0 && figs.excluded === figs.targeted) out.push({ kind: 'allExcluded', activity: a.id, excluded: figs.excluded, reasons: figs.excluded_by_reason ?? {} });
  }
  return out;
}
