import { Alert, Anchor, Badge, Card, Group, Loader, SegmentedControl, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../api/client';
import { formatTime } from '../format';
import { content, origin, summary } from '../messages/content';
import { useTitle } from '../useTitle';

type Run = Schemas['Run'];
const channels = ['all', 'email', 'sms', 'push'] as const;

/** Messages is the sandbox's inbox, newest first, grouped by run and
 * activity; ?run= and ?channel= narrow it (the address keeps them). */
export function Messages() {
  const { t } = useTranslation();
  useTitle(t('messages.title'));
  const [params, setParams] = useSearchParams();
  const run = params.get('run');
  const channel = params.get('channel') ?? 'all';
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null || value === 'all') next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  };
  const runs = useQuery({
    queryKey: ['runs', 'recent', 50],
    queryFn: async ({ signal }) => must(await api.GET('/api/runs', { params: { query: { limit: 50 } }, signal })).runs ?? [],
    retry: false,
  });
  const list = useQuery({
    queryKey: ['messages', run],
    queryFn: async ({ signal }) => must(await api.GET('/api/messages', { params: { query: { limit: 1000, ...(run ? { run: Number(run) } : {}) } }, signal })).messages ?? [],
  });
  const runOf = new Map<number, Run>((runs.data ?? []).map((r) => [r.id, r]));
  const shown = (list.data ?? []).filter((m) => channel === 'all' || m.channel === channel);
  // Groups in the order of their newest message.
  const groups = new Map<string, { run?: number; activity?: string; messages: typeof shown }>();
  for (const m of shown) {
    const o = origin(m.id);
    const key = o.run !== undefined ? `${o.run}:${o.activity}` : '';
    if (!groups.has(key)) groups.set(key, { ...o, messages: [] });
    groups.get(key)?.messages.push(m);
  }
  return (
    <Stack>
      <Title order={2}>{t('messages.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('messages.intro')}
      </Text>
      <Group align="end">
        <Select
          label={t('messages.run')}
          placeholder={t('messages.allRuns')}
          clearable
          value={run}
          onChange={(v) => set('run', v)}
          data={(runs.data ?? []).map((r) => ({ value: String(r.id), label: t('messages.runLabel', { id: r.id, campaign: r.campaign, when: formatTime(r.created_at) }) }))}
          // The latest eight runs, others found by typing (a run's number
          // or campaign): the list never scrolls (a scrolling listbox is
          // out of a keyboard's reach), so an option keeps to one line —
          // a long campaign name is cut short on screen, whole for a
          // screen reader — in a dropdown wider than the field.
          searchable
          limit={8}
          maxDropdownHeight={400}
          comboboxProps={{ width: 520, position: 'bottom-start' }}
          scrollAreaProps={{ scrollbars: 'y' }}
          styles={{ option: { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', display: 'block' } }}
          w={360}
        />
        <SegmentedControl
          aria-label={t('messages.channel')}
          value={channel}
          onChange={(v) => set('channel', v)}
          data={channels.map((c) => ({ value: c, label: t(`messages.channels.${c}`) }))}
        />
      </Group>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Alert color="red">{t('app.error', { message: list.error.message })}</Alert>}
      {list.data && shown.length === 0 && <Text>{t('messages.empty')}</Text>}
      {[...groups.entries()].map(([key, g], index) => {
        const r = g.run !== undefined ? runOf.get(g.run) : undefined;
        const id = `group-${index}`;
        return (
          <Card withBorder component="section" aria-labelledby={id} key={key}>
            <Group justify="space-between" mb="xs">
              <Title order={3} size="h5" id={id}>
                {g.run === undefined
                  ? t('messages.otherGroup')
                  : t('messages.group', { run: g.run, campaign: r?.campaign ?? '?', activity: g.activity })}
              </Title>
              <Group gap="xs">
                {r && <Badge variant="outline">{t(`run.mode.${r.mode}`)}</Badge>}
                <Badge variant="light">{t('messages.count', { count: g.messages.length })}</Badge>
              </Group>
            </Group>
            <Table.ScrollContainer minWidth={600}>
              <Table striped aria-labelledby={id}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('messages.sent')}</Table.Th>
                    <Table.Th>{t('messages.channel')}</Table.Th>
                    <Table.Th>{t('messages.address')}</Table.Th>
                    <Table.Th>{t('messages.summary')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {g.messages.map((m) => (
                    <Table.Tr key={m.id}>
                      <Table.Td>{formatTime(m.sent_at)}</Table.Td>
                      <Table.Td>
                        <Badge variant="light">{t(`messages.channels.${m.channel === 'email' || m.channel === 'sms' || m.channel === 'push' ? m.channel : 'all'}`)}</Badge>
                        {m.copies > 1 && (
                          <Badge ml="xs" color="red" variant="light">
                            {t('messages.copies', { count: m.copies })}
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/messages/${encodeURIComponent(m.id)}`}>
                          {m.address}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" lineClamp={1}>
                          {summary(content(m.content))}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        );
      })}
    </Stack>
  );
}
