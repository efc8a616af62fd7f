import { Alert, Badge, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../api/client';
import { formatTime } from '../format';
import { useTitle } from '../useTitle';

/** summary is what a message says at a glance: an email's subject, an
 * SMS's text, a push's title. */
function summary(content: Record<string, unknown>): string {
  const v = content.subject ?? content.title ?? content.text ?? content.body ?? '';
  return typeof v === 'string' ? v : '';
}

/** Messages is the sandbox's inbox, newest first. */
export function Messages() {
  const { t } = useTranslation();
  useTitle(t('messages.title'));
  const list = useQuery({
    queryKey: ['messages'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/messages', { params: { query: { limit: 100 } }, signal });
      if (error) throw new Error(errorMessage(error));
      return data.messages ?? [];
    },
  });
  return (
    <Stack>
      <Title order={2}>{t('messages.title')}</Title>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Alert color="red">{t('app.error', { message: list.error.message })}</Alert>}
      {list.data && list.data.length === 0 && <Text>{t('messages.empty')}</Text>}
      {list.data && list.data.length > 0 && (
        <Table striped aria-label={t('messages.title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('messages.sent')}</Table.Th>
              <Table.Th>{t('messages.channel')}</Table.Th>
              <Table.Th>{t('messages.address')}</Table.Th>
              <Table.Th>{t('messages.summary')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td>{formatTime(m.sent_at)}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{m.channel}</Badge>
                  {m.copies > 1 && (
                    <Badge ml="xs" color="red" variant="light">
                      {t('messages.copies', { count: m.copies })}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{m.address}</Table.Td>
                <Table.Td>{summary(m.content)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Alert color="blue">{t('messages.soon')}</Alert>
    </Stack>
  );
}
