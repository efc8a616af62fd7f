import { Alert, Anchor, Card, Code, Loader, Stack, Table, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, errorMessage } from '../api/client';
import { formatCount, formatTime } from '../format';
import { useTitle } from '../useTitle';

class NotFound extends Error {}

/** AudienceDetail shows one saved audience: its size, version and query. */
export function AudienceDetail() {
  const { t } = useTranslation();
  const name = useParams().name ?? '';
  useTitle(name);
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
  return (
    <Stack>
      <Anchor component={Link} to="/audiences">
        {t('audiences.back')}
      </Anchor>
      <Title order={2}>{name}</Title>
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
                <Table.Td>{formatCount(audience.data.count)}</Table.Td>
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
    </Stack>
  );
}
