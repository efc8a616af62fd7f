import { Alert, Badge, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../api/client';
import { useTitle } from '../useTitle';

interface Attribute {
  name: string;
  type: string;
  values?: string[];
  description?: string;
  required?: boolean;
}
interface Link {
  name: string;
  entity: string;
  kind: string;
}
interface Entity {
  name: string;
  description?: string;
  key?: string[];
  attributes?: Attribute[];
  links?: Link[];
  targeting?: Record<string, unknown>;
}

/** Data shows the data model: each entity with its attributes and types,
 * its links, and, for a targeting dimension, its channel addresses. */
export function Data() {
  const { t } = useTranslation();
  useTitle(t('data.title'));
  const model = useQuery({
    queryKey: ['model'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/model', { signal });
      if (error) throw new Error(errorMessage(error));
      return data;
    },
  });
  const entities = ((model.data?.model as { entities?: Entity[] } | undefined)?.entities ?? []) as Entity[];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('data.title')}</Title>
        {model.data && <Badge variant="light">{t('data.version', { version: model.data.version })}</Badge>}
      </Group>
      {model.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {model.error && <Alert color="red">{t('app.error', { message: model.error.message })}</Alert>}
      {model.data && entities.length === 0 && <Alert color="blue">{t('data.noModel')}</Alert>}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {entities.map((e) => (
          <Card withBorder key={e.name} component="section" aria-labelledby={`entity-${e.name}`}>
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
        ))}
      </SimpleGrid>
    </Stack>
  );
}
