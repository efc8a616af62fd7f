import { Anchor, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatCount, formatPercent } from '../format';
import type { DeliveryFigures } from './figures';

type EngagementFigures = NonNullable<DeliveryFigures['engagement']>;

/** Engagement shows what recipients did with a channel activity's
 * messages: people's opens and clicks (machines' apart, never counted as
 * people's), the click-to-open rate, what providers reported (deliveries,
 * bounces, complaints, messages refused for themselves — an email's webhook,
 * an SMS receipt, a push provider's answer), unsubscriptions, and the most clicked links. */
export function Engagement({ activity, sent, e }: { activity: string; sent: number; e: EngagementFigures }) {
  const { t } = useTranslation();
  const rate = (n: number, of: number) => (of > 0 ? ` (${formatPercent(n / of)})` : '');
  const rows: [string, string][] = [
    ['opened', formatCount(e.opened) + rate(e.opened, sent)],
    ['clicked', formatCount(e.clicked) + rate(e.clicked, sent)],
    ['clickToOpen', e.opened > 0 ? formatPercent(e.clicked / e.opened) : '—'],
    ['machineOpens', formatCount(e.opened_machine)],
    ['machineClicks', formatCount(e.clicked_machine)],
    ['delivered', formatCount(e.delivered ?? 0)],
    ['bouncedHard', formatCount(e.bounced_hard ?? 0)],
    ['bouncedSoft', formatCount(e.bounced_soft ?? 0)],
    ['reportedFailed', formatCount(e.reported_failed ?? 0)],
    ['complaints', formatCount(e.complaints ?? 0)],
    ['unsubscribed', formatCount(e.unsubscribed ?? 0)],
  ];
  const titleId = `engagement-${activity}`;
  return (
    <Stack gap="xs" mt="sm" component="section" aria-labelledby={titleId}>
      <Title order={5} id={titleId}>
        {t('runMonitor.engagement.title')}
      </Title>
      <Table variant="vertical" withTableBorder={false} aria-label={t('runMonitor.engagement.of', { activity })}>
        <Table.Tbody>
          {rows.map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Th>{t(`runMonitor.engagement.${k}`)}</Table.Th>
              <Table.Td ta="right" data-engagement={k}>
                {v}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {e.links && e.links.length > 0 && (
        <Table aria-label={t('runMonitor.engagement.linksOf', { activity })}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('runMonitor.engagement.link')}</Table.Th>
              <Table.Th ta="right">{t('runMonitor.engagement.clicks')}</Table.Th>
              <Table.Th ta="right">{t('runMonitor.engagement.unique')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {e.links.slice(0, 10).map((l) => (
              <Table.Tr key={`${l.link}-${l.url}`}>
                <Table.Td>
                  <Text size="sm" lineClamp={1}>
                    {l.label ? `${l.label} — ` : ''}
                    <Anchor href={l.url} target="_blank" rel="noreferrer noopener" size="sm">
                      {l.url}
                    </Anchor>
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{formatCount(l.clicks)}</Table.Td>
                <Table.Td ta="right">{formatCount(l.unique)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
