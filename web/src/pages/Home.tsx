import { Alert, Badge, Card, Group, List, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { entityCounts, HTTPError, recentImports, recentRuns, type HistoryItem } from '../api/pending';
import type { paths } from '../api/schema';
import { formatCount, formatTime } from '../format';
import { useTitle } from '../useTitle';

type Health = paths['/api/health']['get']['responses'][200]['content']['application/json'];

const statusColor: Record<Health['status'], string> = { ok: 'green', degraded: 'yellow', failing: 'red', unavailable: 'red' };

/** Home: the node's health first (store, providers), then the data and
 * the recent work. */
export function Home() {
  const { t } = useTranslation();
  useTitle(t('home.title'));
  return (
    <Stack>
      <Title order={2}>{t('home.title')}</Title>
      <HealthCard />
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <EntitiesCard />
        <HistoryCard title={t('home.imports')} empty={t('home.noImports')} queryKey="imports" load={(s) => recentImports(5, s)} />
        <HistoryCard title={t('home.runs')} empty={t('home.noRuns')} queryKey="runs" load={(s) => recentRuns(5, s)} />
      </SimpleGrid>
    </Stack>
  );
}

function HealthCard() {
  const { t } = useTranslation();
  const health = useQuery({
    queryKey: ['health'],
    queryFn: async ({ signal }) => {
      // 503 (failing, unavailable) answers the same body as 200.
      const { data, error, response } = await api.GET('/api/health', { signal });
      const body = (data ?? error) as Health | undefined;
      if (!body || typeof body !== 'object' || !('status' in body)) throw new Error(response.statusText);
      return body;
    },
    refetchInterval: 15_000,
  });
  return (
    <Card withBorder component="section" aria-labelledby="health-title">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4" id="health-title">
          {t('home.health')}
        </Title>
        {health.data && <Badge color={statusColor[health.data.status]}>{t(`home.status.${health.data.status}`)}</Badge>}
      </Group>
      {health.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {health.error && <Alert color="red">{t('app.error', { message: health.error.message })}</Alert>}
      {health.data && (
        <Stack gap="xs">
          <Table variant="vertical" withTableBorder={false}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={160}>{t('home.store')}</Table.Th>
                <Table.Td>{health.data.store === 'duckdb' || health.data.store === 'postgres' ? t(`home.storeKind.${health.data.store}`) : health.data.store}</Table.Td>
              </Table.Tr>
              {health.data.location && (
                <Table.Tr>
                  <Table.Th>{t('home.location')}</Table.Th>
                  <Table.Td>{health.data.location}</Table.Td>
                </Table.Tr>
              )}
              <Table.Tr>
                <Table.Th>{t('home.version')}</Table.Th>
                <Table.Td>{health.data.version}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          {health.data.providers_failing?.length ? (
            <Alert color="yellow" title={t('home.providersFailing')}>
              <List size="sm">
                {health.data.providers_failing.map((p) => (
                  <List.Item key={p.channel}>{t('home.providerRest', { channel: p.channel, until: formatTime(p.until), rest: p.rest })}</List.Item>
                ))}
              </List>
            </Alert>
          ) : (
            <Text size="sm" c="dimmed">
              {t('home.allProvidersOk')}
            </Text>
          )}
          {health.data.problems?.length ? (
            <Alert color="red" title={t('home.problems')}>
              <List size="sm">
                {health.data.problems.map((p) => (
                  <List.Item key={p.part}>{t('home.problem', { part: p.part, error: p.error, since: formatTime(p.since), attempts: p.attempts })}</List.Item>
                ))}
              </List>
            </Alert>
          ) : null}
        </Stack>
      )}
    </Card>
  );
}

/** Unavailable tells an endpoint the server lacks (an older server) from a
 * failure. */
function Unavailable({ error }: { error: Error }) {
  const { t } = useTranslation();
  if (error instanceof HTTPError && (error.status === 404 || error.status === 405)) {
    return (
      <Text size="sm" c="dimmed">
        {t('app.notAvailable')}
      </Text>
    );
  }
  return <Alert color="red">{t('app.error', { message: error.message })}</Alert>;
}

function EntitiesCard() {
  const { t } = useTranslation();
  const counts = useQuery({ queryKey: ['entities'], queryFn: ({ signal }) => entityCounts(signal), retry: false });
  return (
    <Card withBorder component="section" aria-labelledby="entities-title">
      <Title order={3} size="h4" mb="sm" id="entities-title">
        {t('home.entities')}
      </Title>
      {counts.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {counts.error && <Unavailable error={counts.error} />}
      {counts.data &&
        (counts.data.length === 0 || counts.data.every((e) => e.rows === 0) ? (
          <Text size="sm">{t('home.noEntities')}</Text>
        ) : (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('home.entity')}</Table.Th>
                <Table.Th ta="right">{t('home.rows')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {counts.data.map((e) => (
                <Table.Tr key={e.entity}>
                  <Table.Td>{e.entity}</Table.Td>
                  <Table.Td ta="right">{formatCount(e.rows)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Card>
  );
}

function HistoryCard(props: { title: string; empty: string; queryKey: string; load: (signal: AbortSignal) => Promise<HistoryItem[]> }) {
  const { t } = useTranslation();
  const list = useQuery({ queryKey: [props.queryKey, 'recent'], queryFn: ({ signal }) => props.load(signal), retry: false });
  const id = `${props.queryKey}-title`;
  return (
    <Card withBorder component="section" aria-labelledby={id}>
      <Title order={3} size="h4" mb="sm" id={id}>
        {props.title}
      </Title>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Unavailable error={list.error} />}
      {list.data &&
        (list.data.length === 0 ? (
          <Text size="sm">{props.empty}</Text>
        ) : (
          <Table>
            <Table.Tbody>
              {list.data.map((i) => (
                <Table.Tr key={i.id}>
                  <Table.Td>{i.title}</Table.Td>
                  <Table.Td>
                    <Badge variant="light">{i.state}</Badge>
                  </Table.Td>
                  <Table.Td>{formatTime(i.when)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Card>
  );
}
