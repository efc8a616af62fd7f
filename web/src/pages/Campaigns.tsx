import { Alert, Badge, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../api/client';
import { formatTime } from '../format';
import { useTitle } from '../useTitle';

/** Campaigns lists the campaigns with their state and versions. */
export function Campaigns() {
  const { t } = useTranslation();
  useTitle(t('campaigns.title'));
  const list = useQuery({
    queryKey: ['campaigns'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/campaigns', { signal });
      if (error) throw new Error(errorMessage(error));
      return data.campaigns ?? [];
    },
  });
  return (
    <Stack>
      <Title order={2}>{t('campaigns.title')}</Title>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Alert color="red">{t('app.error', { message: list.error.message })}</Alert>}
      {list.data && list.data.length === 0 && <Text>{t('campaigns.empty')}</Text>}
      {list.data && list.data.length > 0 && (
        <Table striped aria-label={t('campaigns.title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('campaigns.name')}</Table.Th>
              <Table.Th>{t('campaigns.state')}</Table.Th>
              <Table.Th ta="right">{t('campaigns.latest')}</Table.Th>
              <Table.Th ta="right">{t('campaigns.published')}</Table.Th>
              <Table.Th>{t('campaigns.updated')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>
                  <Badge color={c.status === 'published' ? 'green' : 'gray'} variant="light">
                    {t(`campaigns.status.${c.status}`)}
                  </Badge>
                </Table.Td>
                <Table.Td ta="right">{c.latest_version}</Table.Td>
                <Table.Td ta="right">{c.published_version ?? ''}</Table.Td>
                <Table.Td>{formatTime(c.updated_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Alert color="blue">{t('campaigns.soon')}</Alert>
    </Stack>
  );
}
