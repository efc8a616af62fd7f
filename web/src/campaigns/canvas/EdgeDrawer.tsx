import { Alert, Anchor, Drawer, Group, Loader, ScrollArea, Select, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { SendToThese } from '../SendToThese';
import { api, must } from '../../api/client';
import { formatCount } from '../../format';
import type { Transition } from '../doc';

const LIMIT = 50;

// TOP is how many values a breakdown lists; the rest are summed.
const TOP = 20;

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

interface Props {
  runId: number;
  edge?: Transition & { count?: number };
  onClose: () => void;
}

/** EdgeDrawer shows the first rows a transition carried in a run, with the
 * enrichment columns, and the count of each value of a chosen column over
 * all its rows (the server's GET /api/runs/{id}/breakdown). */
export function EdgeDrawer({ runId, edge, onClose }: Props) {
  const { t } = useTranslation();
  const [by, setBy] = useState<string | null>(null);
  const rows = useQuery({
    queryKey: ['run-preview', runId, edge?.from, edge?.output],
    enabled: !!edge,
    queryFn: async ({ signal }) =>
      must(await api.GET('/api/runs/{id}/preview', { params: { path: { id: runId }, query: { activity: edge!.from, port: edge!.output, limit: LIMIT } }, signal })),
  });
  const columns = useMemo(() => rows.data?.columns ?? [], [rows.data]);
  // The breakdown counts all the edge's rows, on the server.
  const breakdown = useQuery({
    queryKey: ['run-breakdown', runId, edge?.from, edge?.output, by],
    enabled: !!edge && !!by,
    queryFn: async ({ signal }) =>
      must(await api.GET('/api/runs/{id}/breakdown', { params: { path: { id: runId }, query: { activity: edge!.from, port: edge!.output, column: by!, top: TOP } }, signal })),
  });
  const title = edge ? t('canvas.edgeTitle', { from: edge.from, output: edge.output, to: edge.to }) : '';
  return (
    <Drawer opened={!!edge} onClose={onClose} position="right" size="xl" title={title} closeButtonProps={{ 'aria-label': t('canvas.close') }}>
      {edge && (
        <Stack>
          <Text size="sm">
            {edge.count !== undefined ? t('canvas.edgeCount', { count: edge.count, formatted: formatCount(edge.count) }) : t('canvas.edgeNoCount')}
          </Text>
          <Anchor component={Link} to={`/runs/${runId}`} size="sm">
            {t('canvas.openMonitor', { id: runId })}
          </Anchor>
          {edge.count !== undefined && edge.count > 0 && (
            <Group>
              <SendToThese to={{ run: runId, activity: edge.from, port: edge.output }} count={edge.count} />
            </Group>
          )}
          {rows.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
          {rows.error && <Alert color="gray">{t('canvas.previewNone', { message: rows.error.message })}</Alert>}
          {rows.data && (
            <>
              <Select label={t('canvas.breakdownBy')} placeholder={t('canvas.breakdownNone')} data={columns} value={by} onChange={setBy} clearable searchable />
              {by && breakdown.isPending && <Loader size="xs" aria-label={t('app.loading')} />}
              {breakdown.error && <Alert color="gray">{breakdown.error.message}</Alert>}
              {by && breakdown.data && (
                <Table withTableBorder fz="xs" aria-label={t('canvas.breakdownLabel', { column: by })} data-testid="edge-breakdown">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{by}</Table.Th>
                      <Table.Th>{t('canvas.rows')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {breakdown.data.values.map((v) => (
                      <Table.Tr key={v.value ?? '\u0000'}>
                        <Table.Td>{v.value === null || v.value === '' ? t('canvas.noValue') : v.value}</Table.Td>
                        <Table.Td>{formatCount(v.rows)}</Table.Td>
                      </Table.Tr>
                    ))}
                    {breakdown.data.others > 0 && (
                      <Table.Tr>
                        <Table.Td>{t('canvas.otherValues')}</Table.Td>
                        <Table.Td>{formatCount(breakdown.data.others)}</Table.Td>
                      </Table.Tr>
                    )}
                  </Table.Tbody>
                  <Table.Caption>{t('canvas.breakdownOfAll', { count: breakdown.data.rows, formatted: formatCount(breakdown.data.rows) })}</Table.Caption>
                </Table>
              )}
              <Text size="xs" c="dimmed">
                {t('canvas.previewOf', { count: rows.data.rows?.length ?? 0 })}
              </Text>
              <ScrollArea type="auto" viewportProps={{ tabIndex: 0 }}>
                <Table striped withTableBorder fz="xs" aria-label={t('canvas.previewLabel')} data-testid="edge-rows">
                  <Table.Thead>
                    <Table.Tr>
                      {columns.map((c) => (
                        <Table.Th key={c}>{c}</Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {(rows.data.rows ?? []).map((r, i) => (
                      <Table.Tr key={i}>
                        {(r as unknown[]).map((v, j) => (
                          <Table.Td key={j}>{cell(v)}</Table.Td>
                        ))}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea>
            </>
          )}
        </Stack>
      )}
    </Drawer>
  );
}
