import '@mantine/dropzone/styles.css';
import { Alert, Anchor, Button, Card, Group, Loader, Select, Stack, Table, Text, Title } from '@mantine/core';
import { Dropzone, type FileWithPath } from '@mantine/dropzone';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, APIError, must } from '../api/client';
import { formatBytes, formatCount, formatTime } from '../format';
import { useTitle } from '../useTitle';
import { ImportState, type ImportJob } from './ImportState';

// What the server reads: CSV or NDJSON, plain or gzip (the format comes from
// the file's name). Browsers give .ndjson and .gz files varied types, so the
// names' endings decide too.
const accept = {
  'text/csv': ['.csv'],
  'text/tab-separated-values': ['.tsv'],
  'application/x-ndjson': ['.ndjson', '.jsonl'],
  'application/json': ['.json'],
  'application/gzip': ['.gz'],
  'application/x-gzip': ['.gz'],
  'application/octet-stream': ['.csv', '.tsv', '.ndjson', '.jsonl', '.json', '.gz'],
};

/** Imports: upload a file into an entity, and the history of imports. */
export function Imports() {
  const { t } = useTranslation();
  useTitle(t('imports.title'));
  return (
    <Stack>
      <Title order={2}>{t('imports.title')}</Title>
      <Upload />
      <History />
    </Stack>
  );
}

function Upload() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [entity, setEntity] = useState<string | null>(null);
  const [file, setFile] = useState<FileWithPath | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const entities = useQuery({
    queryKey: ['entities'],
    queryFn: async ({ signal }) => must(await api.GET('/api/entities', { signal })).entities,
    retry: false,
  });
  const upload = useMutation({
    mutationFn: async ({ entity, file }: { entity: string; file: File }) =>
      must(
        await api.POST('/api/imports', {
          params: { query: { entity, name: file.name } },
          body: file,
          bodySerializer: (b) => b,
          headers: { 'Content-Type': 'application/octet-stream' },
        }),
      ),
    onSuccess: (job) => {
      void client.invalidateQueries({ queryKey: ['imports'] });
      client.setQueryData(['import', job.import_id], job);
      navigate(`/data/imports/${job.import_id}`);
    },
  });
  const ready = entity !== null && file !== null && !upload.isPending;
  return (
    <Card withBorder component="section" aria-labelledby="upload-title">
      <Title order={3} size="h4" mb="sm" id="upload-title">
        {t('imports.upload')}
      </Title>
      <Stack>
        <Select
          label={t('imports.entity')}
          placeholder={t('imports.entityPick')}
          data={(entities.data ?? []).map((e) => e.name)}
          value={entity}
          onChange={setEntity}
          error={entities.error ? t('app.error', { message: entities.error.message }) : undefined}
          disabled={upload.isPending}
          maw={320}
          allowDeselect={false}
        />
        <Dropzone
          onDrop={(files) => {
            setRefused(null);
            setFile(files[0] ?? null);
            upload.reset();
          }}
          onReject={(rejections) => setRefused(rejections[0]?.file.name ?? '')}
          accept={accept}
          multiple={false}
          maxFiles={1}
          loading={upload.isPending}
          aria-label={t('imports.dropLabel')}
          inputProps={{ 'aria-label': t('imports.dropLabel') }}
        >
          <Stack align="center" gap={4} mih={100} justify="center" style={{ pointerEvents: 'none' }}>
            <Dropzone.Idle>
              <Text>{t('imports.drop')}</Text>
            </Dropzone.Idle>
            <Dropzone.Accept>
              <Text>{t('imports.dropAccept')}</Text>
            </Dropzone.Accept>
            <Dropzone.Reject>
              <Text c="red">{t('imports.dropReject')}</Text>
            </Dropzone.Reject>
            <Text size="sm" c="dimmed">
              {t('imports.formats')}
            </Text>
          </Stack>
        </Dropzone>
        {refused !== null && <Alert color="red">{t('imports.refused', { name: refused })}</Alert>}
        {file && (
          <Text size="sm" aria-live="polite">
            {t('imports.chosen', { name: file.name, size: formatBytes(file.size) })}
          </Text>
        )}
        {upload.error && (
          <Alert color="red" title={t('imports.uploadFailed')} role="alert">
            {upload.error.message}
          </Alert>
        )}
        <Group>
          <Button disabled={!ready} loading={upload.isPending} onClick={() => entity && file && upload.mutate({ entity, file })}>
            {t('imports.start')}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function History() {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['imports', 'history'],
    queryFn: async ({ signal }) => must(await api.GET('/api/imports', { params: { query: { limit: 50 } }, signal })).imports ?? [],
    refetchInterval: (q) => (q.state.data?.some((i: ImportJob) => i.state === 'running') ? 2000 : false),
  });
  return (
    <Card withBorder component="section" aria-labelledby="history-title">
      <Title order={3} size="h4" mb="sm" id="history-title">
        {t('imports.history')}
      </Title>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Alert color="red">{t('app.error', { message: list.error instanceof APIError ? list.error.message : String(list.error) })}</Alert>}
      {list.data && list.data.length === 0 && <Text size="sm">{t('home.noImports')}</Text>}
      {list.data && list.data.length > 0 && (
        <Table.ScrollContainer minWidth={700}>
          <Table striped aria-labelledby="history-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('imports.id')}</Table.Th>
                <Table.Th>{t('imports.entity')}</Table.Th>
                <Table.Th>{t('imports.source')}</Table.Th>
                <Table.Th>{t('imports.stateLabel')}</Table.Th>
                <Table.Th ta="right">{t('imports.read')}</Table.Th>
                <Table.Th ta="right">{t('imports.rejected')}</Table.Th>
                <Table.Th>{t('imports.started')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.map((i) => (
                <Table.Tr key={i.import_id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/data/imports/${i.import_id}`}>
                      {t('imports.number', { id: i.import_id })}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{i.entity}</Table.Td>
                  <Table.Td>{i.source}</Table.Td>
                  <Table.Td>
                    <ImportState state={i.state} />
                  </Table.Td>
                  <Table.Td ta="right">{formatCount(i.state === 'running' ? i.progress.rows : i.read)}</Table.Td>
                  <Table.Td ta="right">{formatCount(i.rejected)}</Table.Td>
                  <Table.Td>{formatTime(i.started_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
