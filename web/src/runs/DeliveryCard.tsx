import { Badge, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatCount, formatDecimal, formatPercent } from '../format';
import { settledOf, type DeliveryFigures } from './figures';
import { Engagement } from './Engagement';
import { ResolveInDoubt } from './RunActions';

/** ByReason lists a figure's parts by reason (nothing when there are
 * none): a table named by its card's activity and its label. */
function ByReason({ label, parts, titleId, kind }: { label: string; parts?: Record<string, number>; titleId: string; kind: string }) {
  const { t } = useTranslation();
  const entries = Object.entries(parts ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return null;
  const labelId = `${titleId}-${kind}`;
  return (
    <Stack gap={2}>
      <Text size="sm" fw={500} id={labelId}>
        {label}
      </Text>
      <Table variant="vertical" withTableBorder={false} verticalSpacing={2} aria-labelledby={`${titleId} ${labelId}`} data-by={kind}>
        <Table.Tbody>
          {entries.map(([reason, n]) => (
            <Table.Tr key={reason} data-reason={reason}>
              <Table.Th fw={400} bg="transparent">
                {t(`runMonitor.reasons.${reason}`, { defaultValue: reason })}
              </Table.Th>
              <Table.Td ta="right">{formatCount(n)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** DeliveryCard shows a channel activity's delivery figures: targeted,
 * sent, excluded, failed, in doubt, pending and held, each by reason; a
 * progress bar of the messages with an outcome; and the current rate. */
export function DeliveryCard({ figures: d, run, rate, stopped }: { figures: DeliveryFigures; run: number; rate: number; stopped: boolean }) {
  const { t } = useTranslation();
  const done = settledOf(d);
  const share = d.targeted > 0 ? done / d.targeted : 1;
  const titleId = `delivery-${d.activity}`;
  const rows: [string, number][] = [
    ['targeted', d.targeted],
    ['sent', d.sent],
    ['excluded', d.excluded],
    ['failed', d.failed],
    ['inDoubt', d.in_doubt],
    ['dropped', d.dropped],
    ['pending', d.pending],
    ['held', d.held],
    ['paused', d.paused],
    ['cancelled', d.cancelled],
  ];
  return (
    <Card withBorder component="section" aria-labelledby={titleId} data-delivery={d.activity}>
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Title order={4} id={titleId}>
            {d.activity}
          </Title>
          <Badge variant="outline">{d.channel}</Badge>
        </Group>
        {d.pending > 0 && <Text size="sm" data-rate={rate}>{t('runMonitor.rate', { rate: formatDecimal(rate, 1) })}</Text>}
      </Group>
      <Progress value={share * 100} aria-label={t('runMonitor.progressOf', { activity: d.activity })} mb={4} />
      <Text size="sm" mb="sm">
        {t('runMonitor.progress', { done: formatCount(done), targeted: formatCount(d.targeted), percent: formatPercent(share) })}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Table variant="vertical" withTableBorder={false} aria-label={t('runMonitor.figuresOf', { activity: d.activity })}>
          <Table.Tbody>
            {rows
              .filter(([k, n]) => n > 0 || k === 'targeted' || k === 'sent' || k === 'excluded')
              .map(([k, n]) => (
                <Table.Tr key={k}>
                  <Table.Th>{t(`runMonitor.${k}`)}</Table.Th>
                  <Table.Td ta="right" data-figure={k}>
                    {formatCount(n)}
                  </Table.Td>
                </Table.Tr>
              ))}
          </Table.Tbody>
        </Table>
        <Stack gap="xs">
          <ByReason label={t('runMonitor.excludedBy')} parts={d.excluded_by_reason} titleId={titleId} kind="excluded" />
          <ByReason label={t('runMonitor.failedBy')} parts={d.failures} titleId={titleId} kind="failed" />
          <ByReason label={t('runMonitor.inDoubtBy')} parts={d.in_doubt_by_reason} titleId={titleId} kind="in-doubt" />
          <ByReason label={t('runMonitor.pendingBy')} parts={d.pending_by_reason} titleId={titleId} kind="pending" />
          <ByReason label={t('runMonitor.reports')} parts={d.delivery_reports} titleId={titleId} kind="reports" />
          {d.in_doubt > 0 && <ResolveInDoubt run={run} activity={d.activity} count={d.in_doubt} stopped={stopped} />}
        </Stack>
      </SimpleGrid>
      {d.engagement && <Engagement activity={d.activity} sent={d.sent} e={d.engagement} />}
    </Card>
  );
}
