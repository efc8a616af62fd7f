import { Alert, Button, Code, Group, List, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, APIError, must, type Schemas } from '../api/client';
import { formatCount, formatTime } from '../format';

/** exportHref is the address of an audience's export: the server answers
 * GET with the session cookie and names the file (Content-Disposition),
 * so a plain link downloads it. */
export function exportHref(name: string, format: 'csv' | 'ndjson', version?: number): string {
  const q = new URLSearchParams({ format });
  if (version !== undefined) q.set('version', String(version));
  return `/api/audiences/${encodeURIComponent(name)}/export?${q}`;
}

/** AppendAudience adds a query's rows, or another saved audience's, to the
 * audience as a new version. */
export function AppendAudience({ name, dimension }: { name: string; dimension: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [text, setText] = useState('');
  const others = useQuery({
    queryKey: ['audiences'],
    queryFn: async ({ signal }) => must(await api.GET('/api/audiences', { signal })).audiences ?? [],
    enabled: opened,
  });
  const append = useMutation({
    mutationFn: async () => {
      const { data, error, response } = await api.POST('/api/audiences/{name}/append', { params: { path: { name } }, body: { text } });
      if (data === undefined || error !== undefined) throw new AppendError(response.status, error);
      return data;
    },
    onSuccess: (a) => {
      client.setQueryData(['audiences', name], a);
      void client.invalidateQueries({ queryKey: ['audiences'] });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('audience.close') }, message: t('audience.appended', { version: a.version, count: formatCount(a.count) }) });
      close();
    },
  });
  const close = () => {
    setOpened(false);
    setText('');
    append.reset();
  };
  const choices = (others.data ?? []).filter((a) => a.name !== name && a.dimension === dimension).map((a) => a.name);
  const problems = append.error instanceof AppendError ? append.error.problems : [];
  return (
    <>
      <Button variant="default" onClick={() => setOpened(true)}>
        {t('audience.append')}
      </Button>
      <Modal closeButtonProps={{ 'aria-label': t('audience.close') }} opened={opened} onClose={close} title={t('audience.appendTitle', { name })} size="lg">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim() !== '') append.mutate();
          }}
        >
          <Stack>
            <Text size="sm">{t('audience.appendIntro')}</Text>
            <Select
              label={t('audience.appendAudience')}
              placeholder={t('audience.appendAudiencePick')}
              data={choices}
              value={null}
              onChange={(v) => v && setText(`in audience ${JSON.stringify(v)}`)}
              searchable
              nothingFoundMessage={t('audience.appendNone')}
            />
            <Textarea
              label={t('audience.appendQuery')}
              description={t('audience.appendQueryHint')}
              value={text}
              onChange={(e) => {
                setText(e.currentTarget.value);
                append.reset();
              }}
              autosize
              minRows={2}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            {append.error && (
              <Alert color="red" role="alert">
                {problems.length > 0 ? (
                  <List size="sm">
                    {problems.map((p, i) => (
                      <List.Item key={i}>{p.message}</List.Item>
                    ))}
                  </List>
                ) : (
                  t('app.error', { message: append.error.message })
                )}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('audience.cancel')}
              </Button>
              <Button type="submit" loading={append.isPending} disabled={text.trim() === ''}>
                {t('audience.appendSubmit')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

class AppendError extends APIError {
  readonly problems: Schemas['Problem'][];
  constructor(status: number, error: unknown) {
    super(status, error);
    const details = (error as { error?: { details?: unknown } } | undefined)?.error?.details;
    this.problems = Array.isArray(details) ? (details as Schemas['Problem'][]) : [];
  }
}

/** DeleteAudience deletes the audience and all its versions, after a
 * dialog that says so. */
export function DeleteAudience({ name, count }: { name: string; count: number }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [opened, setOpened] = useState(false);
  const remove = useMutation({
    mutationFn: async () => {
      const { error, response } = await api.DELETE('/api/audiences/{name}', { params: { path: { name } } });
      if (!response.ok) throw new APIError(response.status, error, response.statusText);
    },
    onSuccess: () => {
      client.removeQueries({ queryKey: ['audiences', name] });
      void client.invalidateQueries({ queryKey: ['audiences'] });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('audience.close') }, message: t('audience.deleted', { name }) });
      navigate('/audiences');
    },
  });
  const close = () => {
    setOpened(false);
    remove.reset();
  };
  return (
    <>
      <Button color="red" variant="outline" onClick={() => setOpened(true)}>
        {t('audience.delete')}
      </Button>
      <Modal closeButtonProps={{ 'aria-label': t('audience.close') }} opened={opened} onClose={close} title={t('audience.deleteTitle', { name })}>
        <Stack>
          <Text>{t('audience.deleteIntro', { name, count: formatCount(count) })}</Text>
          {remove.error && (
            <Alert color="red" role="alert">
              {t('app.error', { message: remove.error.message })}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('audience.cancel')}
            </Button>
            <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>
              {t('audience.deleteConfirm', { name })}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** VersionQuery shows the query a version was made with. */
export function VersionQuery({ version: v }: { version: Schemas['AudienceVersion'] }) {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button size="compact-sm" variant="default" onClick={() => setOpened(true)}>
        {t('audience.versionQuery', { version: v.version })}
      </Button>
      <Modal closeButtonProps={{ 'aria-label': t('audience.close') }} opened={opened} onClose={() => setOpened(false)} title={t('audience.versionQueryTitle', { version: v.version })} size="lg">
        <Stack gap="xs">
          <Text size="sm">{t('audience.versionMade', { kind: t(`audience.kinds.${v.kind}`, { defaultValue: v.kind }), time: formatTime(v.created_at), count: formatCount(v.count) })}</Text>
          <Code block>{JSON.stringify(v.query, null, 2)}</Code>
          {v.params && Object.keys(v.params).length > 0 && <Code block>{JSON.stringify(v.params, null, 2)}</Code>}
        </Stack>
      </Modal>
    </>
  );
}
