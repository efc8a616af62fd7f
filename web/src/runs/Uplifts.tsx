import { Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../api/client';
import { formatCount, formatDecimal, formatPercent, formatTime } from '../format';

type Uplift = Schemas['RunReport']['uplifts'][number];

/** Uplifts sets each split's control group beside its treated subsets on
 * each conversion: members, converted, rate, and each subset's uplift
 * over the control with its 95 % interval. The form asks for a conversion
 * of one's own (an audience condition on $sent_at and $window_end). */
export function Uplifts({ uplifts, conversion, within, onAsk }: { uplifts: Uplift[]; conversion: string; within: string; onAsk: (conversion: string, within: string) => void }) {
  const { t } = useTranslation();
  const [query, setQuery] = useState(conversion);
  const [span, setSpan] = useState(within);
  return (
    <Card withBorder component="section" aria-labelledby="uplifts-title">
      <Title order={3} size="h4" id="uplifts-title" mb="sm">
        {t('report.uplifts.title')}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onAsk(query.trim(), span.trim());
        }}
      >
        <Group align="end" mb="sm">
          <TextInput
            style={{ flex: 1 }}
            label={t('report.uplifts.query')}
            description={t('report.uplifts.queryHelp')}
            placeholder={t('report.uplifts.placeholder')}
            value={query}
            onChange={(e) => setQuery(e.currentTarget.value)}
          />
          <TextInput w={120} label={t('report.uplifts.within')} placeholder={t('report.uplifts.withinPlaceholder')} value={span} onChange={(e) => setSpan(e.currentTarget.value)} />
          <Button type="submit" variant="default">
            {t('report.uplifts.compare')}
          </Button>
        </Group>
      </form>
      {uplifts.length === 0 && <Text size="sm">{t('report.uplifts.none')}</Text>}
      <Stack>
        {uplifts.map((u) => (
          <UpliftTable key={`${u.split}-${u.conversion}`} u={u} />
        ))}
      </Stack>
    </Card>
  );
}

function UpliftTable({ u }: { u: Uplift }) {
  const { t } = useTranslation();
  const id = `uplift-${u.split}-${u.conversion}`;
  return (
    <Stack gap={4}>
      <Text fw={500} id={id}>
        {t('report.uplifts.caption', { split: u.split, conversion: u.conversion })}
      </Text>
      <Text size="xs" c="dimmed">
        {u.query}
        {u.within ? ` · ${t('report.uplifts.withinShort', { within: u.within })}` : ''}
        {u.reference ? ` · ${t('report.uplifts.reference', { at: formatTime(u.reference) })}` : ''}
        {!u.random ? ` · ${t('report.uplifts.notRandom')}` : ''}
      </Text>
      {u.unavailable ? (
        <Text size="sm">{t('report.uplifts.unavailable', { why: u.unavailable })}</Text>
      ) : (
        <Table aria-labelledby={id}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('report.subset')}</Table.Th>
              <Table.Th ta="right">{t('report.uplifts.members')}</Table.Th>
              <Table.Th ta="right">{t('report.uplifts.converted')}</Table.Th>
              <Table.Th ta="right">{t('report.rate')}</Table.Th>
              <Table.Th>{t('report.uplifts.against')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {u.groups.map((g) => (
              <Table.Tr key={g.subset} data-subset={g.subset}>
                <Table.Td>
                  {g.subset}
                  {g.activity ? ` (${g.activity})` : ''} {g.control && <Badge variant="outline">{t('report.uplifts.control')}</Badge>}
                </Table.Td>
                <Table.Td ta="right">{formatCount(g.members)}</Table.Td>
                <Table.Td ta="right" data-figure="converted">
                  {formatCount(g.converted)}
                </Table.Td>
                <Table.Td ta="right">{formatPercent(g.rate)}</Table.Td>
                <Table.Td>
                  {g.uplift !== undefined && g.low !== undefined && g.high !== undefined
                    ? t(g.too_small ? 'report.tooSmall' : g.conclusive ? 'report.conclusive' : 'report.inconclusive', {
                        diff: formatDecimal(100 * g.uplift, 1),
                        low: formatDecimal(100 * g.low, 1),
                        high: formatDecimal(100 * g.high, 1),
                      })
                    : g.control
                      ? t('report.baseline')
                      : ''}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
