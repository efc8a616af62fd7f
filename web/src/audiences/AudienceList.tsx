import { Alert, Anchor, Button, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, errorMessage } from '../api/client';
import { formatCount, formatTime } from '../format';
import { useTitle } from '../useTitle';

/** AudienceList shows the saved audiences with their current size. */
export function AudienceList() {
  const { t } = useTranslation();
  useTitle(t('audiences.title'));
  const list = useQuery({
    queryKey: ['audiences'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/audiences', { signal });
      if (error) throw new Error(errorMessage(error));
      return data.audiences ?? [];
    },
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('audiences.title')}</Title>
        <Button component={Link} to="/audiences/new">
          {t('audiences.new')}
        </Button>
      </Group>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Alert color="red">{t('app.error', { message: list.error.message })}</Alert>}
      {list.data && list.data.length === 0 && <Text>{t('audiences.empty')}</Text>}
      {list.data && list.data.length > 0 && (
        <Table striped highlightOnHover aria-label={t('audiences.listLabel')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('audiences.name')}</Table.Th>
              <Table.Th>{t('audiences.description')}</Table.Th>
              <Table.Th>{t('audiences.dimension')}</Table.Th>
              <Table.Th ta="right">{t('audiences.count')}</Table.Th>
              <Table.Th ta="right">{t('audiences.version')}</Table.Th>
              <Table.Th>{t('audiences.updated')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.map((a) => (
              <Table.Tr key={a.name}>
                <Table.Td>
                  <Anchor component={Link} to={`/audiences/${encodeURIComponent(a.name)}`}>
                    {a.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{a.description}</Table.Td>
                <Table.Td>{a.dimension}</Table.Td>
                <Table.Td ta="right">{formatCount(a.count)}</Table.Td>
                <Table.Td ta="right">{a.version}</Table.Td>
                <Table.Td>{formatTime(a.updated_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
