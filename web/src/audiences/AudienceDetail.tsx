import { Alert, Anchor, Badge, Button, Card, Code, Group, Loader, Stack, Table, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, errorMessage, must } from '../api/client';
import { formatCount, formatTime } from '../format';
import { SendToThese } from '../campaigns/SendToThese';
import { useTitle } from '../useTitle';
import { AppendAudience, DeleteAudience, exportHref, VersionQuery } from './AudienceActions';

class NotFound extends Error {}

/** AudienceDetail shows one saved audience: its size, version and query;
 * refreshes it, appends rows to it, exports it, deletes it; and lists its
 * versions with their sizes and stored queries. */
export function AudienceDetail() {
  const { t } = useTranslation();
  const name = useParams().name ?? '';
  useTitle(name);
  const client = useQueryClient();
  const audience = useQuery({
    queryKey: ['audiences', name],
    queryFn: async ({ signal }) => {
      const { data, error, response } = await api.GET('/api/audiences/{name}', { params: { path: { name } }, signal });
      if (response.status === 404) throw new NotFound(name);
      if (error) throw new Error(errorMessage(error));
      return data;
    },
    retry: false,
  });
  const refresh = useMutation({
    mutationFn: async () => must(await api.POST('/api/audiences/{name}/refresh', { params: { path: { name } } })),
    onSuccess: (a) => {
      client.setQueryData(['audiences', name], a);
      void client.invalidateQueries({ queryKey: ['audiences'] });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('audience.close') }, message: t('audience.refreshed', { version: a.version, count: formatCount(a.count) }) });
    },
  });
  return (
    <Stack>
      <Anchor component={Link} to="/audiences">
        {t('audiences.back')}
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{name}</Title>
        {audience.data && (
          <Group gap="xs">
            <Button onClick={() => refresh.mutate()} loading={refresh.isPending}>
              {t('audience.refresh')}
            </Button>
            <AppendAudience name={name} dimension={audience.data.dimension} />
            <Button component="a" variant="default" href={exportHref(name, 'csv')} download={`${name}.csv`}>
              {t('audience.exportCsv')}
            </Button>
            <Button component="a" variant="default" href={exportHref(name, 'ndjson')} download={`${name}.ndjson`}>
              {t('audience.exportNdjson')}
            </Button>
            <SendToThese to={{ audience: name }} count={audience.data.count} />
            <DeleteAudience name={name} count={audience.data.count} />
          </Group>
        )}
      </Group>
      {refresh.error && (
        <Alert color="red" role="alert">
          {t('audience.refreshFailed', { message: refresh.error.message })}
        </Alert>
      )}
      {audience.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {audience.error && (
        <Alert color="red">{audience.error instanceof NotFound ? t('audiences.notFound', { name }) : t('app.error', { message: audience.error.message })}</Alert>
      )}
      {audience.data && (
        <Card withBorder>
          <Table variant="vertical" withTableBorder={false}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={160}>{t('audiences.description')}</Table.Th>
                <Table.Td>{audience.data.description}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('audiences.dimension')}</Table.Th>
                <Table.Td>{audience.data.dimension}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('audiences.count')}</Table.Th>
                <Table.Td data-testid="audience-count">{formatCount(audience.data.count)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('audiences.version')}</Table.Th>
                <Table.Td>{audience.data.version}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('audiences.updated')}</Table.Th>
                <Table.Td>{formatTime(audience.data.updated_at)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('audiences.query')}</Table.Th>
                <Table.Td>
                  <Code block>{JSON.stringify(audience.data.query, null, 2)}</Code>
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Card>
      )}
      {audience.data && <Versions name={name} current={audience.data.version} />}
    </Stack>
  );
}

/** Versions lists the audience's versions, newest first: how each was made
 * (saved, refreshed, appended), its size, when, and its stored query. */
function Versions({ name, current }: { name: string; current: number }) {
  const { t } = useTranslation();
  const versions = useQuery({
    // The current version is in the key: a refresh or an append lists anew.
    queryKey: ['audiences', name, 'versions', current],
    queryFn: async ({ signal }) =>
      [...(must(await api.GET('/api/audiences/{name}/versions', { params: { path: { name } }, signal })).versions ?? [])].sort((a, b) => b.version - a.version),
  });
  return (
    <Card withBorder component="section" aria-labelledby="versions-title">
      <Title order={3} size="h4" id="versions-title" mb="sm">
        {t('audience.versions')}
      </Title>
      {versions.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {versions.error && <Alert color="red">{t('app.error', { message: versions.error.message })}</Alert>}
      {versions.data && (
        <Table aria-labelledby="versions-title" data-testid="audience-versions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('audiences.version')}</Table.Th>
              <Table.Th>{t('audience.kind')}</Table.Th>
              <Table.Th ta="right">{t('audiences.count')}</Table.Th>
              <Table.Th>{t('audience.created')}</Table.Th>
              <Table.Th>{t('audience.createdBy')}</Table.Th>
              <Table.Th>{t('audience.modelVersion')}</Table.Th>
              <Table.Th>{t('audience.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {versions.data.map((v) => (
              <Table.Tr key={v.version}>
                <Table.Td>
                  {v.version}
                  {v.current && (
                    <Badge ml="xs" size="sm" variant="light">
                      {t('audience.current')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{t(`audience.kinds.${v.kind}`, { defaultValue: v.kind })}</Table.Td>
                <Table.Td ta="right">{formatCount(v.count)}</Table.Td>
                <Table.Td>{formatTime(v.created_at)}</Table.Td>
                <Table.Td>{v.created_by ?? t('audience.unknownAuthor')}</Table.Td>
                <Table.Td>{v.model_version}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <VersionQuery version={v} />
                    <Anchor href={exportHref(name, 'csv', v.version)} download={`${name}-v${v.version}.csv`} size="sm">
                      {t('audience.versionCsv', { version: v.version })}
                    </Anchor>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
