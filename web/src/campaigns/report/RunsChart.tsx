// Loaded on demand (React.lazy): the chart library stays out of the first
// load.
import '@mantine/charts/styles.css';
import { LineChart } from '@mantine/charts';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import { formatPercent } from '../../format';

type Run = Schemas['CampaignReport']['runs'][number];

/** RunsChart draws people's opened and clicked rates (over the messages
 * sent) run after run, so a campaign's trend shows at a glance. */
export default function RunsChart({ runs }: { runs: Run[] }) {
  const { t } = useTranslation();
  const rate = (n: number, of: number) => (of > 0 ? n / of : 0);
  const data = runs.map((r) => ({
    run: t('campaignReport.runShort', { id: r.run }),
    opened: rate(r.opened, r.sent),
    clicked: rate(r.clicked, r.sent),
    unsubscribed: rate(r.unsubscribed, r.sent),
  }));
  return (
    <LineChart
      h={240}
      data={data}
      dataKey="run"
      withLegend
      withDots
      valueFormatter={formatPercent}
      series={[
        { name: 'opened', label: t('report.metrics.opened'), color: 'indigo.6' },
        { name: 'clicked', label: t('report.metrics.clicked'), color: 'teal.6' },
        { name: 'unsubscribed', label: t('campaignReport.cells.unsubscribed'), color: 'yellow.7' },
      ]}
      role="img"
      aria-label={t('campaignReport.ratesLabel')}
    />
  );
}
