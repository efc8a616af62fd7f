import { Alert, Group, List, Loader, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../../api/client';
import { formatTime } from '../../format';
import i18n from '../../i18n';
import { usePanel } from './context';
import { Field, useErrors, useLabel } from './SchemaForm';
import type { JSONSchema } from './schema';

const [CRON, TIMEZONE] = ['cron', 'timezone'];

type Preset = 'daily' | 'weekly' | 'monthly' | 'custom';

interface Reading {
  preset: Preset;
  time: string;
  weekday: string;
}

/** readCron recognises the helper's own shapes: `M H * * *` (every day),
 * `M H * * D` (every D), `M H 1 * *` (the first of the month). */
export function readCron(cron: string): Reading {
  const f = cron.trim().split(/\s+/);
  const num = (s: string | undefined, max: number) => s !== undefined && /^\d+$/.test(s) && Number(s) <= max;
  if (f.length === 5 && num(f[0], 59) && num(f[1], 23) && f[3] === '*') {
    const time = `${f[1]!.padStart(2, '0')}:${f[0]!.padStart(2, '0')}`;
    if (f[2] === '*' && f[4] === '*') return { preset: 'daily', time, weekday: '1' };
    if (f[2] === '*' && num(f[4], 7)) return { preset: 'weekly', time, weekday: String(Number(f[4]) % 7) };
    if (f[2] === '1' && f[4] === '*') return { preset: 'monthly', time, weekday: '1' };
  }
  return { preset: 'custom', time: '09:00', weekday: '1' };
}

/** writeCron writes a preset as a cron expression. */
export function writeCron(r: Reading): string | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(r.time);
  if (!m) return undefined;
  const [h, min] = [Number(m[1]), Number(m[2])];
  switch (r.preset) {
    case 'daily':
      return `${min} ${h} * * *`;
    case 'weekly':
      return `${min} ${h} * * ${r.weekday}`;
    case 'monthly':
      return `${min} ${h} 1 * *`;
    default:
      return undefined;
  }
}

/** CronError is a refused expression (400: its problem, shown on the
 * field) or another failure. */
class CronError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** nextOccurrences asks GET /api/cron/next for the next five times of a
 * cron expression in a time zone. */
async function nextOccurrences(cron: string, timezone: string | undefined, signal: AbortSignal): Promise<string[]> {
  const r = await api.GET('/api/cron/next', { params: { query: { cron, n: 5, ...(timezone ? { timezone } : {}) } }, signal });
  if (!r.data) throw new CronError(r.response.status, errorMessage(r.error));
  return r.data.next;
}

/** wallTime says an instant as the clocks of the schedule's zone show it
 * (the zone the cron's hours are in), named. */
function wallTime(iso: string, zone: string | undefined): string {
  const d = new Date(iso);
  try {
    return new Intl.DateTimeFormat(i18n.resolvedLanguage ?? 'en', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: zone || 'UTC', timeZoneName: 'short' }).format(d);
  } catch {
    return formatTime(iso);
  }
}

const zones: string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

/** ScheduleEditor edits a scheduler's settings: once (`at`) or repeated
 * (`cron`, with a helper for the usual schedules), its time zone and
 * bounds, and shows the next five occurrences as the server computes
 * them. */
export function ScheduleEditor({ schema }: { schema: JSONSchema }) {
  const { t } = useTranslation();
  const label = useLabel();
  const env = usePanel();
  const a = env.activity;
  const cron = typeof a.cron === 'string' ? a.cron : '';
  const timezone = typeof a.timezone === 'string' ? a.timezone : undefined;
  const [mode, setMode] = useState<'cron' | 'at'>(typeof a.at === 'string' && !cron ? 'at' : 'cron');
  const reading = readCron(cron);
  const [time, setTime] = useState(reading.time);
  const cronError = useErrors(['cron']);
  const props = schema.properties ?? {};
  const [cronLabel, zoneLabel] = [CRON, TIMEZONE].map(label);

  const [debounced, setDebounced] = useState(cron);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(cron), 300);
    return () => clearTimeout(timer);
  }, [cron]);
  const next = useQuery({
    queryKey: ['cron-next', debounced, timezone],
    queryFn: ({ signal }) => nextOccurrences(debounced, timezone, signal),
    enabled: mode === 'cron' && debounced.trim() !== '',
    retry: false,
    staleTime: 60_000,
  });

  const setPreset = (r: Reading) => {
    const c = writeCron(r);
    if (c) env.set(['cron'], c);
  };
  const weekdays = ['1', '2', '3', '4', '5', '6', '0'].map((d) => ({ value: d, label: t(`panel.schedule.weekday${d}`) }));

  return (
    <Stack gap="sm">
      <SegmentedControl
        value={mode}
        onChange={(v) => setMode(v as 'cron' | 'at')}
        data={[
          { value: 'cron', label: t('panel.schedule.repeat') },
          { value: 'at', label: t('panel.schedule.once') },
        ]}
        aria-label={t('panel.schedule.kind')}
      />
      {mode === 'at' && props.at && <Field name="at" schema={props.at} path={['at']} required={false} />}
      {mode === 'cron' && (
        <>
          <Group gap="xs" align="end" wrap="wrap">
            <Select
              label={t('panel.schedule.preset')}
              data={[
                { value: 'daily', label: t('panel.schedule.daily') },
                { value: 'weekly', label: t('panel.schedule.weekly') },
                { value: 'monthly', label: t('panel.schedule.monthly') },
                { value: 'custom', label: t('panel.schedule.custom') },
              ]}
              value={reading.preset}
              onChange={(v) => v && v !== 'custom' && setPreset({ ...reading, time, preset: v as Preset })}
              allowDeselect={false}
              w={190}
            />
            {reading.preset === 'weekly' && (
              <Select label={t('panel.schedule.weekday')} data={weekdays} value={reading.weekday} onChange={(v) => v && setPreset({ ...reading, time, weekday: v })} allowDeselect={false} w={140} />
            )}
            <TextInput
              label={t('panel.schedule.at')}
              value={reading.preset === 'custom' ? time : reading.time}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setTime(v);
                if (reading.preset !== 'custom') setPreset({ ...reading, time: v });
              }}
              placeholder="09:00"
              w={90}
            />
          </Group>
          <TextInput
            label={cronLabel}
            description={props.cron?.description}
            value={cron}
            onChange={(e) => env.set(['cron'], e.currentTarget.value)}
            error={cronError ?? (next.error instanceof CronError && next.error.status === 400 ? next.error.message : undefined)}
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <Select
            label={zoneLabel}
            description={props.timezone?.description}
            data={zones}
            value={timezone ?? null}
            onChange={(v) => env.set(['timezone'], v ?? undefined)}
            placeholder="UTC"
            searchable
            clearable
          />
          {props.from && <Field name="from" schema={props.from} path={['from']} required={false} />}
          {props.until && <Field name="until" schema={props.until} path={['until']} required={false} />}
          <Stack gap={2} aria-live="polite" aria-busy={next.isFetching}>
            <Text size="sm" fw={600} id="next-occurrences">
              {t('panel.schedule.next')}
            </Text>
            {next.isFetching && <Loader size="xs" role="status" aria-label={t('panel.schedule.computing')} />}
            {next.error && !(next.error instanceof CronError && next.error.status === 400) && (
              <Text size="sm" c="red.8">
                {t('panel.schedule.failed', { message: next.error.message })}
              </Text>
            )}
            {next.data && next.data.length === 0 && (
              <Text size="sm" c="dimmed">
                {t('panel.schedule.none')}
              </Text>
            )}
            {next.data && next.data.length > 0 && (
              <List size="sm" aria-labelledby="next-occurrences" data-testid="next-occurrences">
                {next.data.map((iso) => (
                  <List.Item key={iso}>
                    {wallTime(iso, timezone)}
                    <Text span size="xs" c="dimmed">
                      {' · '}
                      {iso}
                    </Text>
                  </List.Item>
                ))}
              </List>
            )}
            {!cron.trim() && (
              <Text size="sm" c="dimmed">
                {t('panel.schedule.empty')}
              </Text>
            )}
          </Stack>
        </>
      )}
      {mode === 'at' && typeof a.cron === 'string' && <Alert color="yellow">{t('panel.schedule.both')}</Alert>}
    </Stack>
  );
}
