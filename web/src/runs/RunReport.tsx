import { Alert, Anchor, Badge, Button, Card, Group, Loader, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, errorMessage, type Schemas } from '../api/client';
import { formatCount, formatDecimal, formatPercent } from '../format';
import { useTitle } from '../useTitle';
import { Engagement } from './Engagement';
import { Uplifts } from './Uplifts';

const SeriesChart = lazy(() => import('./SeriesChart'));

type Report = Schemas['RunReport'];

/** RunReport is a run's report: per channel activity what recipients did,
 * the events over time as a chart, the subsets of an A/B split side by
 * side with their differences' intervals, the emails by recipient domain,
 * and the figures as CSV. */
export function RunReport() {
  const { t } = useTranslation();
  const id = Number(useParams().id);
  const [params, setParams] = useSearchParams();
  const by: 'hour' | 'day' = params.get('by') === 'hour' ? 'hour' : 'day';
  const conversion = params.get('conversion') ?? '';
  const within = params.get('within') ?? '';
  useTitle(t('report.title', { id }));
  const report = useQuery({
    queryKey: ['report', id, by, conversion, within],
    queryFn: async ({ signal }): Promise<Report> => {
      const query = { by, ...(conversion ? { conversion } : {}), ...(conversion && within ? { within } : {}) };
      const { data, error } = await api.GET('/api/runs/{id}/report', { params: { path: { id }, query }, signal });
      if (error) throw new Error(errorMessage(error));
      return data as Report;
    },
    enabled: Number.isInteger(id) && id > 0,
  });
  const r = report.data;
  return (
    <Stack>
      <Anchor component={Link} to={`/runs/${id}`}>
        {t('report.back', { id })}
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{t('report.title', { id })}</Title>
        <Button component="a" variant="default" href={`/api/runs/${id}/report?format=csv`} download={`run-${id}-report.csv`}>
          {t('report.csv')}
        </Button>
      </Group>
      {report.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {report.error && <Alert color="red">{t('app.error', { message: report.error.message })}</Alert>}
      {r && r.activities.length === 0 && <Text>{t('report.noMessages')}</Text>}
      {r &&
        r.activities.map((f) => (
          <Card withBorder key={f.activity} component="section" aria-label={t('report.activity', { activity: f.activity })}>
            <Group gap="xs" mb="xs">
              <Title order={3} size="h4">
                {f.activity}
              </Title>
              <Badge variant="outline">{f.channel}</Badge>
              <Text size="sm">{t('report.sentOf', { sent: formatCount(f.sent), targeted: formatCount(f.targeted) })}</Text>
            </Group>
            {f.engagement ? <Engagement activity={f.activity} sent={f.sent} e={f.engagement} /> : <Text size="sm">{t('report.noEvents')}</Text>}
          </Card>
        ))}
      {r && (
        <Card withBorder component="section" aria-labelledby="series-title">
          <Group justify="space-between" mb="sm">
            <Title order={3} size="h4" id="series-title">
              {t('report.series')}
            </Title>
            <SegmentedControl
              aria-label={t('report.by')}
              value={by}
              onChange={(v) => {
                const next = new URLSearchParams(params);
                if (v === 'day') next.delete('by');
                else next.set('by', v);
                setParams(next, { replace: true });
              }}
              data={[
                { value: 'day', label: t('report.byDay') },
                { value: 'hour', label: t('report.byHour') },
              ]}
            />
          </Group>
          {r.series.length === 0 ? (
            <Text size="sm">{t('report.noEvents')}</Text>
          ) : (
            <Suspense fallback={<Loader size="sm" aria-label={t('app.loading')} />}>
              <SeriesChart series={r.series} by={by} />
            </Suspense>
          )}
        </Card>
      )}
      {r && r.comparisons.length > 0 && (
        <Card withBorder component="section" aria-labelledby="comparisons-title">
          <Title order={3} size="h4" id="comparisons-title" mb="sm">
            {t('report.comparisons')}
          </Title>
          <Table aria-labelledby="comparisons-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('report.split')}</Table.Th>
                <Table.Th>{t('report.metric')}</Table.Th>
                <Table.Th>{t('report.subset')}</Table.Th>
                <Table.Th ta="right">{t('report.sent')}</Table.Th>
                <Table.Th ta="right">{t('report.rate')}</Table.Th>
                <Table.Th>{t('report.against')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {r.comparisons.flatMap((c) =>
                c.groups.map((g, i) => (
                  <Table.Tr key={`${c.split}-${c.metric}-${g.subset}`}>
                    <Table.Td>{i === 0 ? c.split : ''}</Table.Td>
                    <Table.Td>{i === 0 ? t(`report.metrics.${c.metric}`) : ''}</Table.Td>
                    <Table.Td>
                      {g.subset} ({g.activity})
                    </Table.Td>
                    <Table.Td ta="right">{formatCount(g.sent)}</Table.Td>
                    <Table.Td ta="right">{formatPercent(g.rate)}</Table.Td>
                    <Table.Td>
                      {g.difference !== undefined && g.low !== undefined && g.high !== undefined
                        ? t(g.too_small ? 'report.tooSmall' : g.conclusive ? 'report.conclusive' : 'report.inconclusive', {
                            diff: formatDecimal(100 * g.difference, 1),
                            low: formatDecimal(100 * g.low, 1),
                            high: formatDecimal(100 * g.high, 1),
                          })
                        : t('report.baseline')}
                    </Table.Td>
                  </Table.Tr>
                )),
              )}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      {r && (
        <Uplifts
          uplifts={r.uplifts}
          conversion={conversion}
          within={within}
          onAsk={(c, w) => {
            const next = new URLSearchParams(params);
            for (const [k, v] of [['conversion', c], ['within', c ? w : '']] as const) {
              if (v) next.set(k, v);
              else next.delete(k);
            }
            setParams(next, { replace: true });
          }}
        />
      )}
      {r && r.domains.length > 0 && (
        <Card withBorder component="section" aria-labelledby="domains-title">
          <Title order={3} size="h4" id="domains-title" mb="sm">
            {t('report.domains')}
          </Title>
          <Table aria-labelledby="domains-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('report.activityCol')}</Table.Th>
                <Table.Th>{t('report.domain')}</Table.Th>
                <Table.Th ta="right">{t('report.sent')}</Table.Th>
                <Table.Th ta="right">{t('report.opened')}</Table.Th>
                <Table.Th ta="right">{t('report.clicked')}</Table.Th>
                <Table.Th ta="right">{t('report.bounced')}</Table.Th>
                <Table.Th ta="right">{t('report.complaints')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {r.domains.slice(0, 50).map((d) => (
                <Table.Tr key={`${d.activity}-${d.domain}`}>
                  <Table.Td>{d.activity}</Table.Td>
                  <Table.Td>{d.domain}</Table.Td>
                  <Table.Td ta="right">{formatCount(d.sent)}</Table.Td>
                  <Table.Td ta="right">{formatCount(d.opened)}</Table.Td>
                  <Table.Td ta="right">{formatCount(d.clicked)}</Table.Td>
                  <Table.Td ta="right">{formatCount(d.bounced)}</Table.Td>
                  <Table.Td ta="right">{formatCount(d.complaints)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
    </Stack>
  );
}
