import { Alert, Anchor, Button, Card, Group, Loader, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, errorMessage, type Schemas } from '../../api/client';
import { formatCount, formatPercent, formatTime } from '../../format';
import { useTitle } from '../../useTitle';

const RunsChart = lazy(() => import('./RunsChart'));

type Report = Schemas['CampaignReport'];
type Totals = Schemas['Totals'];

const day = /^\d{4}-\d{2}-\d{2}$/;

/** CampaignReport is a campaign's report over its live runs, between two
 * optional dates kept in the address: its figures summed, people's opened
 * and clicked rates run after run as a chart, one row per run (each
 * linking to its own report), per channel activity and per channel, and
 * the runs as CSV. */
export function CampaignReport() {
  const { t } = useTranslation();
  const name = useParams().name ?? '';
  const [params, setParams] = useSearchParams();
  const since = params.get('since') ?? '';
  const until = params.get('until') ?? '';
  useTitle(t('campaignReport.title', { name }));
  const query = { ...(day.test(since) ? { since } : {}), ...(day.test(until) ? { until } : {}) };
  const report = useQuery({
    queryKey: ['campaign-report', name, query],
    queryFn: async ({ signal }): Promise<Report> => {
      const { data, error } = await api.GET('/api/campaigns/{name}/report', { params: { path: { name }, query }, signal });
      if (error) throw new Error(errorMessage(error));
      return data as Report;
    },
  });
  const setDate = (key: 'since' | 'until', v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(key, v);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const csv = new URLSearchParams({ ...query, format: 'csv' });
  const r = report.data;
  return (
    <Stack>
      <Anchor component={Link} to={`/campaigns/${encodeURIComponent(name)}`}>
        {t('campaignReport.back', { name })}
      </Anchor>
      <Group justify="space-between" align="end">
        <Title order={2}>{t('campaignReport.title', { name })}</Title>
        <Group align="end">
          <TextInput type="date" label={t('campaignReport.since')} value={since} onChange={(e) => setDate('since', e.currentTarget.value)} />
          <TextInput type="date" label={t('campaignReport.until')} value={until} onChange={(e) => setDate('until', e.currentTarget.value)} />
          <Button component="a" variant="default" href={`/api/campaigns/${encodeURIComponent(name)}/report?${csv}`} download={`${name}-report.csv`}>
            {t('report.csv')}
          </Button>
        </Group>
      </Group>
      {report.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {report.error && <Alert color="red">{t('app.error', { message: report.error.message })}</Alert>}
      {r && r.runs.length === 0 && <Text>{t('campaignReport.noRuns')}</Text>}
      {r && r.runs.length > 0 && (
        <>
          <Summary totals={r.totals} runs={r.runs.length} />
          <Card withBorder component="section" aria-labelledby="runs-chart-title">
            <Title order={3} size="h4" id="runs-chart-title" mb="sm">
              {t('campaignReport.rates')}
            </Title>
            <Suspense fallback={<Loader size="sm" aria-label={t('app.loading')} />}>
              <RunsChart runs={r.runs} />
            </Suspense>
          </Card>
          <Figures
            id="runs"
            title={t('campaignReport.runs')}
            first={t('campaignReport.run')}
            rows={r.runs.map((run) => ({
              key: String(run.run),
              label: (
                <Anchor component={Link} to={`/runs/${run.run}/report`}>
                  {t('campaignReport.runLabel', { id: run.run, at: formatTime(run.started_at) })}
                </Anchor>
              ),
              totals: run,
            }))}
          />
          <Figures id="activities" title={t('campaignReport.activities')} first={t('report.activityCol')} rows={r.activities.map((a) => ({ key: a.activity, label: `${a.activity} (${a.channel})`, totals: a }))} />
          <Figures id="channels" title={t('campaignReport.channels')} first={t('campaignReport.channel')} rows={r.channels.map((c) => ({ key: c.channel, label: c.channel, totals: c }))} />
        </>
      )}
    </Stack>
  );
}

/** Summary is the campaign's figures summed over the runs. */
function Summary({ totals, runs }: { totals: Totals; runs: number }) {
  const { t } = useTranslation();
  const rate = (n: number) => (totals.sent > 0 ? formatPercent(n / totals.sent) : '—');
  const cells: [string, string, string?][] = [
    ['runs', formatCount(runs)],
    ['sent', formatCount(totals.sent), t('campaignReport.ofTargeted', { targeted: formatCount(totals.targeted) })],
    ['opened', formatCount(totals.opened), rate(totals.opened)],
    ['clicked', formatCount(totals.clicked), rate(totals.clicked)],
    ['bounced', formatCount(totals.bounced_hard + totals.bounced_soft), rate(totals.bounced_hard + totals.bounced_soft)],
    ['unsubscribed', formatCount(totals.unsubscribed), rate(totals.unsubscribed)],
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} component="section" aria-label={t('campaignReport.summary')}>
      {cells.map(([k, v, sub]) => (
        <Card withBorder key={k} padding="sm">
          <Text size="sm" c="dimmed">
            {t(`campaignReport.cells.${k}`)}
          </Text>
          <Text fw={700} size="xl" data-total={k}>
            {v}
          </Text>
          {sub && <Text size="xs">{sub}</Text>}
        </Card>
      ))}
    </SimpleGrid>
  );
}

const columns: (keyof Totals)[] = ['targeted', 'sent', 'excluded', 'failed', 'delivered', 'bounced_hard', 'bounced_soft', 'complaints', 'opened', 'clicked', 'unsubscribed'];

/** Figures is a table of Totals, one row each. */
function Figures({ id, title, first, rows }: { id: string; title: string; first: string; rows: { key: string; label: React.ReactNode; totals: Totals }[] }) {
  const { t } = useTranslation();
  return (
    <Card withBorder component="section" aria-labelledby={`${id}-title`}>
      <Title order={3} size="h4" id={`${id}-title`} mb="sm">
        {title}
      </Title>
      <Table.ScrollContainer minWidth={900}>
        <Table aria-labelledby={`${id}-title`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{first}</Table.Th>
              {columns.map((c) => (
                <Table.Th key={c} ta="right">
                  {t(`campaignReport.columns.${c}`)}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.key} data-row={row.key}>
                <Table.Td>{row.label}</Table.Td>
                {columns.map((c) => (
                  <Table.Td key={c} ta="right" data-figure={c}>
                    {formatCount(row.totals[c] as number)}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
