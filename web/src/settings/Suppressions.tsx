import { Alert, Button, Card, Group, Loader, SegmentedControl, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../api/client';
import { formatTime } from '../format';

const channels = ['email', 'sms', 'push'] as const;
type Channel = (typeof channels)[number];
const pageSize = 100;

/** Suppressions: a channel's suppression list, a page at a time or one
 * address looked up; add an address, take one off. */
export function Suppressions() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [channel, setChannel] = useState<Channel>('email');
  const [search, setSearch] = useState('');
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState('');
  const list = useInfiniteQuery({
    queryKey: ['suppressions', channel, search],
    queryFn: async ({ pageParam, signal }) =>
      must(
        await api.GET('/api/suppressions', {
          params: { query: { channel, limit: pageSize, ...(search ? { address: search } : {}), ...(pageParam ? { after: pageParam } : {}) } },
          signal,
        }),
      ).suppressions ?? [],
    initialPageParam: '',
    getNextPageParam: (last) => (last.length === pageSize ? last[last.length - 1]?.address : undefined),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['suppressions', channel] });
  const add = useMutation({
    mutationFn: async () => must(await api.POST('/api/suppressions', { body: { channel, address: address.trim(), reason: reason.trim() || undefined } })),
    onSuccess: () => {
      setAddress('');
      setReason('');
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: async (a: string) => {
      const { error, response } = await api.DELETE('/api/suppressions', { body: { channel, address: a } });
      if (error || !response.ok) must({ error: error ?? response.statusText, response });
    },
    onSuccess: () => void refresh(),
  });
  const rows = list.data?.pages.flat() ?? [];
  return (
    <Card withBorder component="section" aria-labelledby="suppressions-title">
      <Title order={3} size="h4" mb="xs" id="suppressions-title">
        {t('settings.suppressions')}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {t('settings.suppressionsIntro')}
      </Text>
      <Stack>
        <SegmentedControl
          aria-label={t('settings.channel')}
          value={channel}
          onChange={(v) => setChannel(v as Channel)}
          data={channels.map((c) => ({ value: c, label: t(`messages.channels.${c}`) }))}
          w="fit-content"
        />
        <form
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            add.mutate();
          }}
        >
          <Group align="end">
            <TextInput label={t('settings.address')} required value={address} onChange={(e) => setAddress(e.currentTarget.value)} w={280} />
            <TextInput label={t('settings.reason')} placeholder={t('settings.reasonPlaceholder')} value={reason} onChange={(e) => setReason(e.currentTarget.value)} w={240} />
            <Button type="submit" loading={add.isPending} disabled={!address.trim()}>
              {t('settings.suppress')}
            </Button>
          </Group>
        </form>
        {add.error && <Alert color="red">{t('settings.suppressFailed', { message: add.error.message })}</Alert>}
        {remove.error && <Alert color="red">{t('settings.removeFailed', { message: remove.error.message })}</Alert>}
        <TextInput
          label={t('settings.search')}
          description={t('settings.searchHelp')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value.trim())}
          w={360}
          type="search"
        />
        {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
        {list.error && <Alert color="red">{t('app.error', { message: list.error.message })}</Alert>}
        {list.data && rows.length === 0 && <Text size="sm">{search ? t('settings.notSuppressed', { address: search }) : t('settings.noSuppressions')}</Text>}
        {rows.length > 0 && (
          <Table.ScrollContainer minWidth={600}>
            <Table striped aria-labelledby="suppressions-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('settings.address')}</Table.Th>
                  <Table.Th>{t('settings.reason')}</Table.Th>
                  <Table.Th>{t('settings.since')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('settings.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((s) => (
                  <Table.Tr key={s.address}>
                    <Table.Td>{s.address}</Table.Td>
                    <Table.Td>{s.reason}</Table.Td>
                    <Table.Td>{formatTime(s.created_at)}</Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={t('settings.removeAddress', { address: s.address })}
                        loading={remove.isPending && remove.variables === s.address}
                        onClick={() => remove.mutate(s.address)}
                      >
                        {t('settings.remove')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {list.hasNextPage && (
          <Button variant="light" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage} w="fit-content">
            {t('settings.more')}
          </Button>
        )}
      </Stack>
    </Card>
  );
}
