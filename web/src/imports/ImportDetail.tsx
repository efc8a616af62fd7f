import { Alert, Anchor, Button, Card, Group, Loader, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, APIError, must } from '../api/client';
import { formatBytes, formatCount, formatDecimal, formatPercent, formatTime } from '../format';
import { useTitle } from '../useTitle';
import { ImportState, type ImportJob } from './ImportState';
import { download, rejectsCsv } from './rejectsCsv';

/** ImportDetail follows one import: its progress while it runs (polled
 * every second), then its result and its rejected rows. */
export function ImportDetail() {
  const { t } = useTranslation();
  const id = Number(useParams().id);
  useTitle(t('imports.number', { id }));
  const job = useQuery({
    queryKey: ['import', id],
    queryFn: async ({ signal }) => must(await api.GET('/api/imports/{id}', { params: { path: { id } }, signal })),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? 1000 : false),
    enabled: Number.isInteger(id),
    retry: false,
  });
  return (
    <Stack>
      <Anchor component={Link} to="/data/imports" size="sm">
        {t('imports.back')}
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{job.data ? t('imports.titleOf', { id, entity: job.data.entity }) : t('imports.number', { id })}</Title>
        {job.data && <ImportState state={job.data.state} />}
      </Group>
      {job.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {job.error &&
        (job.error instanceof APIError && job.error.status === 404 ? (
          <Alert color="yellow">{t('imports.notFound', { id })}</Alert>
        ) : (
          <Alert color="red">{t('app.error', { message: job.error.message })}</Alert>
        ))}
      {job.data && <Body job={job.data} />}
    </Stack>
  );
}

function Body({ job }: { job: ImportJob }) {
  const { t } = useTranslation();
  const { rows, bytes, size } = job.progress;
  const fraction = size > 0 ? Math.min(1, bytes / size) : undefined;
  return (
    <>
      <Text size="sm" c="dimmed">
        {t('imports.fileOf', { source: job.source, started: formatTime(job.started_at) })}
        {job.finished_at && ` · ${t('imports.finishedAt', { finished: formatTime(job.finished_at) })}`}
      </Text>
      <Card withBorder component="section" aria-labelledby="progress-title" aria-busy={job.state === 'running'}>
        <Title order={3} size="h4" mb="sm" id="progress-title">
          {t('imports.progress')}
        </Title>
        <Progress
          value={fraction !== undefined ? fraction * 100 : 100}
          animated={job.state === 'running'}
          striped={job.state === 'running'}
          color={job.state === 'failed' ? 'red' : job.state === 'running' ? 'blue' : 'green'}
          aria-label={t('imports.progress')}
          size="lg"
        />
        <Text size="sm" mt="xs" aria-live="polite">
          {fraction !== undefined
            ? t('imports.progressOf', { rows: formatCount(rows), bytes: formatBytes(bytes), size: formatBytes(size), percent: formatPercent(fraction) })
            : t('imports.progressUnknown', { rows: formatCount(rows), bytes: formatBytes(bytes) })}
        </Text>
      </Card>
      {job.error && (
        <Alert color="red" title={job.error_kind ? t(`imports.errorKind.${job.error_kind}`) : t('imports.failed')} role="alert">
          {job.error}
        </Alert>
      )}
      {job.state !== 'running' && <Result job={job} />}
      {job.rejected > 0 && <Rejects job={job} />}
    </>
  );
}

function Result({ job }: { job: ImportJob }) {
  const { t } = useTranslation();
  const figures = [
    ['read', job.read],
    ['inserted', job.inserted],
    ['updated', job.updated],
    ['deleted', job.deleted],
    ['rejected', job.rejected],
  ] as const;
  return (
    <Card withBorder component="section" aria-labelledby="result-title">
      <Title order={3} size="h4" mb="sm" id="result-title">
        {t('imports.result')}
      </Title>
      <SimpleGrid cols={{ base: 2, sm: 5 }}>
        {figures.map(([key, n]) => (
          <div key={key}>
            <Text size="sm" c="dimmed">
              {t(`imports.${key}`)}
            </Text>
            <Text size="xl" fw={600} c={key === 'rejected' && n > 0 ? 'red' : undefined}>
              {formatCount(n)}
            </Text>
          </div>
        ))}
      </SimpleGrid>
      <Text size="sm" c="dimmed" mt="sm">
        {t('imports.speed', { seconds: formatDecimal(job.seconds, 1), rate: formatCount(Math.round(job.rows_per_second)) })}
      </Text>
    </Card>
  );
}

function Rejects({ job }: { job: ImportJob }) {
  const { t } = useTranslation();
  const rejects = job.rejects ?? [];
  const csv = useMutation({
    mutationFn: async () => {
      const res = await api.GET('/api/imports/{id}/rejects', { params: { path: { id: job.import_id } }, parseAs: 'text' });
      const text = must(res) as string;
      download(rejectsCsv(text, [t('imports.line'), t('imports.column'), t('imports.value'), t('imports.reason')]), `import-${job.import_id}-rejects.csv`, 'text/csv');
    },
  });
  return (
    <Card withBorder component="section" aria-labelledby="rejects-title">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4" id="rejects-title">
          {t('imports.rejects')}
        </Title>
        {job.state !== 'running' && (
          <Button variant="light" onClick={() => csv.mutate()} loading={csv.isPending}>
            {t('imports.downloadRejects')}
          </Button>
        )}
      </Group>
      {csv.error && <Alert color="red">{t('app.error', { message: csv.error.message })}</Alert>}
      {rejects.length < job.rejected && (
        <Text size="sm" c="dimmed" mb="xs">
          {t('imports.firstRejects', { shown: formatCount(rejects.length), count: job.rejected })}
        </Text>
      )}
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-labelledby="rejects-title">
          <Table.Thead>
            <Table.Tr>
              <Table.Th ta="right">{t('imports.line')}</Table.Th>
              <Table.Th>{t('imports.column')}</Table.Th>
              <Table.Th>{t('imports.value')}</Table.Th>
              <Table.Th>{t('imports.reason')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rejects.map((r, i) => (
              <Table.Tr key={`${r.line}-${r.column ?? ''}-${i}`}>
                <Table.Td ta="right">{r.line}</Table.Td>
                <Table.Td>{r.column}</Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {r.value}
                  </Text>
                </Table.Td>
                <Table.Td>{r.reason}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
