// Loaded on demand (React.lazy): the chart library stays out of the first
// load.
import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { useTranslation } from 'react-i18next';
import { formatCount, formatTime } from '../format';
import type { Schemas } from '../api/client';

type Point = Schemas['RunReport']['series'][number];

const colors: Record<string, string> = {
  open: 'indigo.6',
  click: 'teal.6',
  delivered: 'gray.6',
  bounce_hard: 'red.7',
  bounce_soft: 'orange.6',
  complaint: 'grape.6',
  unsubscribe: 'yellow.7',
  machine: 'gray.4',
};

/** SeriesChart draws a run's events by hour or day, stacked by type;
 * machines' events in a series of their own, never mixed with people's. */
export default function SeriesChart({ series, by }: { series: Point[]; by: 'hour' | 'day' }) {
  const { t } = useTranslation();
  const rows = new Map<string, Record<string, number | string>>();
  const kinds = new Set<string>();
  for (const p of series) {
    const kind = p.machine ? 'machine' : p.type;
    kinds.add(kind);
    const at = by === 'day' ? p.at.slice(0, 10) : formatTime(p.at);
    const row = rows.get(at) ?? { at };
    row[kind] = ((row[kind] as number | undefined) ?? 0) + p.events;
    rows.set(at, row);
  }
  const names = [...kinds].sort();
  return (
    <BarChart
      h={240}
      data={[...rows.values()]}
      dataKey="at"
      type="stacked"
      withLegend
      valueFormatter={formatCount}
      series={names.map((k) => ({ name: k, label: t(`report.kinds.${k}`, { defaultValue: k }), color: colors[k] ?? 'blue.6' }))}
      role="img"
      aria-label={t('report.seriesLabel', { by: t(by === 'day' ? 'report.byDay' : 'report.byHour') })}
    />
  );
}
