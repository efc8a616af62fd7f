import { Alert, Badge, Card, Code, Group, Loader, SimpleGrid, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, errorMessage } from '../api/client';
import { ApplyModel } from '../model/ApplyModel';
import { ModelDiagram } from '../model/ModelDiagram';
import { ModelVersions } from '../model/ModelVersions';
import { entitiesOf, type Entity } from '../model/types';
import { useTitle } from '../useTitle';

const tabs = ['model', 'apply', 'versions'] as const;
type Tab = (typeof tabs)[number];

/** Data shows the data model (a diagram of its entities and links, the
 * targeting dimensions with their channels' addresses, each entity's
 * attributes), applies a new model document, and lists the model's
 * versions. The tab is in the address (?tab=), so each view can be shared. */
export function Data() {
  const { t } = useTranslation();
  useTitle(t('data.title'));
  const [params, setParams] = useSearchParams();
  const tab: Tab = tabs.find((x) => x === params.get('tab')) ?? 'model';
  const setTab = (next: string | null) => {
    const p = new URLSearchParams(params);
    if (!next || next === 'model') p.delete('tab');
    else p.set('tab', next);
    setParams(p, { replace: true });
  };
  const model = useQuery({
    queryKey: ['model'],
    queryFn: async ({ signal }) => {
      const { data, error, response } = await api.GET('/api/model', { signal });
      if (response.status === 404) return null; // no model applied yet
      if (error) throw new Error(errorMessage(error));
      return data ?? null;
    },
  });
  const entities = entitiesOf(model.data?.model);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('data.title')}</Title>
        {model.data && (
          <Badge variant="light" data-testid="model-version">
            {t('data.version', { version: model.data.version })}
          </Badge>
        )}
      </Group>
      {model.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {model.error && <Alert color="red">{t('app.error', { message: model.error.message })}</Alert>}
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="model">{t('model.tabs.model')}</Tabs.Tab>
          <Tabs.Tab value="apply">{t('model.tabs.apply')}</Tabs.Tab>
          <Tabs.Tab value="versions">{t('model.tabs.versions')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="model" pt="md">
          {model.data === null && <Alert color="blue">{t('data.noModel')}</Alert>}
          {entities.length > 0 && <ModelView entities={entities} />}
        </Tabs.Panel>
        <Tabs.Panel value="apply" pt="md">
          <ApplyModel current={model.data?.document} onApplied={() => setTab('model')} />
        </Tabs.Panel>
        <Tabs.Panel value="versions" pt="md">
          <ModelVersions current={model.data?.version} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function ModelView({ entities }: { entities: Entity[] }) {
  const { t } = useTranslation();
  const dimensions = entities.filter((e) => e.targeting);
  return (
    <Stack>
      <Card withBorder component="section" aria-labelledby="diagram-title">
        <Title order={3} size="h4" id="diagram-title" mb="sm">
          {t('model.diagram.heading')}
        </Title>
        <ModelDiagram entities={entities} />
      </Card>
      {dimensions.length > 0 && (
        <Card withBorder component="section" aria-labelledby="targeting-title">
          <Title order={3} size="h4" id="targeting-title" mb="sm">
            {t('model.targeting.heading')}
          </Title>
          <Table aria-labelledby="targeting-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('model.targeting.dimension')}</Table.Th>
                <Table.Th>{t('model.targeting.channel')}</Table.Th>
                <Table.Th>{t('model.targeting.address')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {dimensions.flatMap((e) =>
                Object.entries(e.targeting ?? {}).map(([channel, address]) => (
                  <Table.Tr key={`${e.name}.${channel}`}>
                    <Table.Td>{e.name}</Table.Td>
                    <Table.Td>{channel}</Table.Td>
                    <Table.Td>
                      <Address address={address} />
                    </Table.Td>
                  </Table.Tr>
                )),
              )}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {entities.map((e) => (
          <EntityCard key={e.name} e={e} />
        ))}
      </SimpleGrid>
    </Stack>
  );
}

/** Address says where a channel's address is: an attribute, or (push) a
 * linked entity's token with its platform and active flag. */
function Address({ address }: { address: string | Record<string, string> }) {
  const { t } = useTranslation();
  if (typeof address === 'string') return <Code>{address}</Code>;
  const { link, token, ...rest } = address;
  return (
    <Text size="sm">
      <Code>{link && token ? `${link}.${token}` : (token ?? link)}</Code>
      {Object.keys(rest).length > 0 && ` ${t('model.targeting.with', { fields: Object.entries(rest).map(([k, v]) => `${k}: ${v}`).join(', ') })}`}
    </Text>
  );
}

function EntityCard({ e }: { e: Entity }) {
  const { t } = useTranslation();
  return (
    <Card withBorder component="section" aria-labelledby={`entity-${e.name}`}>
      <Group justify="space-between">
        <Title order={3} size="h4" id={`entity-${e.name}`}>
          {e.name}
        </Title>
        {e.targeting && <Badge>{t('data.dimension')}</Badge>}
      </Group>
      {e.description && (
        <Text size="sm" c="dimmed">
          {e.description}
        </Text>
      )}
      <Table mt="sm" aria-label={t('data.attributesOf', { entity: e.name })}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('data.attribute')}</Table.Th>
            <Table.Th>{t('data.type')}</Table.Th>
            <Table.Th>{t('data.about')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(e.attributes ?? []).map((a) => (
            <Table.Tr key={a.name}>
              <Table.Td>
                {a.name}
                {e.key?.includes(a.name) && (
                  <Badge ml="xs" size="xs" variant="outline">
                    {t('data.key')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{a.type}</Table.Td>
              <Table.Td>{a.values ? a.values.join(', ') : a.description}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {e.links && e.links.length > 0 && (
        <Text size="sm" mt="sm">
          {t('data.links', { links: e.links.map((l) => t('data.link', { name: l.name, entity: l.entity, kind: t(`data.kind.${l.kind === 'one_to_many' ? 'many' : 'one'}`) })).join(' · ') })}
        </Text>
      )}
      {e.targeting && (
        <Text size="sm" mt="xs">
          {t('data.channels', { channels: Object.keys(e.targeting).join(', ') })}
        </Text>
      )}
    </Card>
  );
}
