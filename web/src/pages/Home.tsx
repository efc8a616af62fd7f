import { Alert, Anchor, Badge, Card, Group, List, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, APIError, must, type Schemas } from '../api/client';
import { ImportState } from '../imports/ImportState';
import type { paths } from '../api/schema';
import { formatCount, formatTime } from '../format';
import { useTitle } from '../useTitle';

type Run = Schemas['Run'];
type Health = paths['/api/health']['get']['responses'][200]['content']['application/json'];
type Node = Schemas['Node'];

const statusColor: Record<Node['status'], string> = { ok: 'green.4', degraded: 'yellow.4', failing: 'red.9', unavailable: 'red.9', silent: 'gray.4' };

/** Home: the node's health first (store, providers), then the data and
 * the recent work. */
export function Home() {
  const { t } = useTranslation();
  useTitle(t('home.title'));
  return (
    <Stack>
      <Title order={2}>{t('home.title')}</Title>
      <HealthCard />
      <NodesCard />
      <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }}>
        <EntitiesCard />
        <ImportsCard />
        <RunsCard />
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

/** NodesCard lists every server sharing the store, each with its health
 * as it last reported it (every 5 s), silent when it stopped reporting. */
function NodesCard() {
  const { t } = useTranslation();
  const nodes = useQuery({
    queryKey: ['nodes'],
    queryFn: async ({ signal }) => must(await api.GET('/api/nodes', { signal })).nodes,
    refetchInterval: 15_000,
  });
  const self = useQuery({
    queryKey: ['health'],
    enabled: false,
  }).data as Health | undefined;
  return (
    <Card withBorder component="section" aria-labelledby="nodes-title">
      <Title order={3} size="h4" id="nodes-title" mb="sm">
        {t('home.nodes')}
      </Title>
      {nodes.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {nodes.error && <Unavailable error={nodes.error} />}
      {nodes.data && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-labelledby="nodes-title" data-testid="nodes">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('home.node')}</Table.Th>
                <Table.Th>{t('home.state')}</Table.Th>
                <Table.Th>{t('home.version')}</Table.Th>
                <Table.Th>{t('home.lastSeen')}</Table.Th>
                <Table.Th>{t('home.resting')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {nodes.data.map((n) => (
                <Table.Tr key={n.id}>
                  <Table.Td>
                    <Text size="sm">{n.url}</Text>
                    <Text size="xs" c="dimmed">
                      {t('home.pid', { pid: n.pid })}
                      {self && self.pid === n.pid ? ` · ${t('home.thisNode')}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={statusColor[n.status]}>{t(`home.status.${n.status}`)}</Badge>
                    {n.health.problems?.length ? (
                      <Text size="xs" c="red.9">
                        {t('home.problemsCount', { count: n.health.problems.length })}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{n.version}</Table.Td>
                  <Table.Td>{formatTime(n.seen_at)}</Table.Td>
                  <Table.Td>{n.health.providers_failing?.length ? n.health.providers_failing.map((p) => p.channel).join(', ') : t('home.none')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

/** Unavailable tells an endpoint the server lacks (an older server) from a
 * failure. */
function Unavailable({ error }: { error: Error }) {
  const { t } = useTranslation();
  if (error instanceof APIError && (error.status === 404 || error.status === 405)) {
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
  const counts = useQuery({
    queryKey: ['entities'],
    queryFn: async ({ signal }) => must(await api.GET('/api/entities', { signal })).entities,
    retry: false,
  });
  // 404: no model applied yet.
  const noModel = counts.error instanceof APIError && counts.error.status === 404 && counts.error.code === 'not_found';
  return (
    <Card withBorder component="section" aria-labelledby="entities-title">
      <Title order={3} size="h4" mb="sm" id="entities-title">
        {t('home.entities')}
      </Title>
      {counts.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {noModel && <Text size="sm">{t('data.noModel')}</Text>}
      {counts.error && !noModel && <Unavailable error={counts.error} />}
      {counts.data &&
        (counts.data.length === 0 || counts.data.every((e) => e.rows === 0) ? (
          <Text size="sm">{t('home.noEntities')}</Text>
        ) : (
          <Table aria-labelledby="entities-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('home.entity')}</Table.Th>
                <Table.Th ta="right">{t('home.rows')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {counts.data.map((e) => (
                <Table.Tr key={e.name}>
                  <Table.Td>
                    {e.name}
                    {e.targeting && (
                      <Badge ml="xs" size="xs" variant="outline">
                        {t('data.dimension')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{formatCount(e.rows)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Card>
  );
}

function ImportsCard() {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['imports', 'recent'],
    queryFn: async ({ signal }) => must(await api.GET('/api/imports', { params: { query: { limit: 5 } }, signal })).imports ?? [],
    retry: false,
  });
  return (
    <Card withBorder component="section" aria-labelledby="imports-title">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4" id="imports-title">
          {t('home.imports')}
        </Title>
        <Anchor component={Link} to="/data/imports" size="sm">
          {t('home.allImports')}
        </Anchor>
      </Group>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Unavailable error={list.error} />}
      {list.data &&
        (list.data.length === 0 ? (
          <Text size="sm">{t('home.noImports')}</Text>
        ) : (
          <Table aria-labelledby="imports-title">
            <Table.Tbody>
              {list.data.map((i) => (
                <Table.Tr key={i.import_id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/data/imports/${i.import_id}`}>
                      {i.entity}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <ImportState state={i.state} />
                  </Table.Td>
                  <Table.Td>{formatTime(i.started_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Card>
  );
}

const runColor: Record<Run['status'], string> = { running: 'blue', paused: 'yellow', waiting: 'gray', completed: 'green', failed: 'red', stopped: 'gray' };

function RunsCard() {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['runs', 'recent'],
    queryFn: async ({ signal }) => must(await api.GET('/api/runs', { params: { query: { limit: 5 } }, signal })).runs ?? [],
    retry: false,
  });
  return (
    <Card withBorder component="section" aria-labelledby="runs-title">
      <Title order={3} size="h4" mb="sm" id="runs-title">
        {t('home.runs')}
      </Title>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Unavailable error={list.error} />}
      {list.data &&
        (list.data.length === 0 ? (
          <Text size="sm">{t('home.noRuns')}</Text>
        ) : (
          <Table aria-labelledby="runs-title">
            <Table.Tbody>
              {list.data.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/messages?run=${r.id}`}>
                      {t('home.runOf', { campaign: r.campaign, id: r.id })}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={runColor[r.status]}>
                      {t(`run.status.${r.status}`)}
                    </Badge>
                    <Badge ml="xs" variant="outline" size="sm">
                      {t(`run.mode.${r.mode}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatTime(r.created_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Card>
  );
}
