// Loaded on demand (React.lazy): the chart library stays out of the first
// load.
import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { useTranslation } from 'react-i18next';
import { formatCount } from '../format';
import type { Breakdown } from './useLiveCount';

/** BreakdownChart draws the count per value of one attribute. */
export default function BreakdownChart({ breakdown }: { breakdown: Breakdown }) {
  const { t } = useTranslation();
  const none = t('builder.noValue');
  const data = (breakdown.buckets ?? []).map((b) => ({ value: b.value === null || b.value === undefined ? none : String(b.value), count: b.count ?? 0 }));
  if (breakdown.others) data.push({ value: t('builder.others'), count: breakdown.others });
  return (
    <BarChart
      h={Math.max(160, data.length * 28)}
      data={data}
      dataKey="value"
      orientation="vertical"
      yAxisProps={{ width: 110 }}
      valueFormatter={formatCount}
      series={[{ name: 'count', label: t('builder.count'), color: 'indigo.6' }]}
      role="img"
      aria-label={t('builder.breakdownOf', { attribute: breakdown.attribute ?? '' })}
    />
  );
}
