import { Alert, Anchor, Button, Card, Group, List, Loader, Menu, Modal, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, must } from '../api/client';
import { formatTime } from '../format';
import { useTitle } from '../useTitle';
import { VersionHistory } from './VersionHistory';
import { check, keys } from './list/campaignApi';
import { RunStatusBadge, StatusBadge } from './list/CampaignCells';
import { ArchiveCampaign, DeleteCampaign, DuplicateCampaign, ProblemList, readableAlert, type CampaignDialog } from './list/CampaignDialogs';

class NotFound extends Error {}

/** CampaignPage shows one campaign: its status and versions, the actions
 * its status allows (edit, publish, simulate, start live), its schedule's
 * next occurrences and its runs. */
export function CampaignPage() {
  const { t } = useTranslation();
  const name = useParams().name ?? '';
  useTitle(name);
  const client = useQueryClient();
  const navigate = useNavigate();
  const campaign = useQuery({
    queryKey: keys.one(name),
    queryFn: async ({ signal }) => {
      const { data, error, response } = await api.GET('/api/campaigns/{name}', { params: { path: { name } }, signal });
      if (response.status === 404) throw new NotFound(name);
      return must({ data, error, response });
    },
    retry: false,
  });
  const runs = useQuery({
    queryKey: keys.runs(name),
    queryFn: async ({ signal }) => must(await api.GET('/api/campaigns/{name}/runs', { params: { path: { name }, query: { limit: 50 } }, signal })).runs ?? [],
    enabled: campaign.isSuccess,
  });
  const schedule = useQuery({
    queryKey: [...keys.schedule(name), 5],
    queryFn: async ({ signal }) => must(await api.GET('/api/campaigns/{name}/schedule', { params: { path: { name }, query: { n: 5 } }, signal })).occurrences ?? [],
    enabled: campaign.isSuccess && campaign.data.status !== 'archived',
  });
  const publish = useMutation({
    mutationFn: async () => check(await api.POST('/api/campaigns/{name}/publish', { params: { path: { name } } })),
    onSuccess: (c) => {
      client.setQueryData(keys.one(name), c);
      void client.invalidateQueries({ queryKey: keys.list });
      void client.invalidateQueries({ queryKey: keys.schedule(name) });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('campaignList.close') }, message: t('campaignPage.publishedOk', { version: c.published_version }) });
    },
  });
  const start = useMutation({
    mutationFn: async (mode: 'simulate' | 'live') => check(await api.POST('/api/campaigns/{name}/runs', { params: { path: { name } }, body: { mode } })),
    onSuccess: (run) => {
      void client.invalidateQueries({ queryKey: keys.runs(name) });
      void client.invalidateQueries({ queryKey: keys.recentRuns });
      navigate(`/runs/${run.id}`);
    },
  });
  const [confirmLive, setConfirmLive] = useState(false);
  const [dialog, setDialog] = useState<CampaignDialog>();
  const c = campaign.data;
  return (
    <Stack>
      <Anchor component={Link} to="/campaigns">
        {t('campaignPage.back')}
      </Anchor>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>{name}</Title>
          {c && <StatusBadge status={c.status} />}
        </Group>
        {c && (
          <Group gap="xs">
            <Button variant="default" component={Link} to={`/campaigns/${encodeURIComponent(name)}/edit`}>
              {t('campaignPage.edit')}
            </Button>
            <Button variant="default" component={Link} to={`/campaigns/${encodeURIComponent(name)}/report`}>
              {t('campaignPage.report')}
            </Button>
            <Button variant="light" onClick={() => start.mutate('simulate')} loading={start.isPending && start.variables === 'simulate'} disabled={c.status === 'archived'}>
              {t('campaignPage.simulate')}
            </Button>
            {c.status !== 'archived' && c.published_version !== c.latest_version && (
              <Button onClick={() => publish.mutate()} loading={publish.isPending}>
                {t('campaignPage.publish', { version: c.latest_version })}
              </Button>
            )}
            {c.status === 'published' && (
              <Button variant={c.published_version === c.latest_version ? 'filled' : 'default'} onClick={() => setConfirmLive(true)}>
                {t('campaignPage.startLive')}
              </Button>
            )}
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="subtle">{t('campaignPage.more')}</Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={() => setDialog('duplicate')}>{t('campaignList.duplicate')}</Menu.Item>
                <Menu.Item onClick={() => setDialog('archive')}>{t(c.status === 'archived' ? 'campaignList.unarchive' : 'campaignList.archive')}</Menu.Item>
                <Menu.Item color="red" onClick={() => setDialog('delete')}>
                  {t('campaignList.delete')}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        )}
      </Group>
      {publish.error && (
        <Stack gap={4}>
          <Text fw={500}>{t('campaignPage.publishRefused')}</Text>
          <ProblemList error={publish.error} />
        </Stack>
      )}
      {start.error && !confirmLive && <ProblemList error={start.error} />}
      {campaign.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {campaign.error &&
        (campaign.error instanceof NotFound ? (
          <Alert color="yellow" styles={readableAlert}>
            {t('campaignPage.notFound', { name })}{' '}
            <Anchor component={Link} to={`/campaigns/${encodeURIComponent(name)}/edit`}>
              {t('campaignPage.openDraft')}
            </Anchor>
          </Alert>
        ) : (
          <Alert color="red">{t('app.error', { message: campaign.error.message })}</Alert>
        ))}
      {c && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder component="section" aria-labelledby="versions-title">
            <Title order={3} size="h4" mb="sm" id="versions-title">
              {t('campaignPage.versions')}
            </Title>
            <Table variant="vertical" withTableBorder={false} aria-labelledby="versions-title">
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th w={180}>{t('campaignPage.latest')}</Table.Th>
                  <Table.Td>{c.latest_version}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('campaignPage.published')}</Table.Th>
                  <Table.Td>{c.published_version ?? t('campaignPage.notPublished')}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('campaignPage.created')}</Table.Th>
                  <Table.Td>{formatTime(c.created_at)}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>{t('campaignPage.updated')}</Table.Th>
                  <Table.Td>{formatTime(c.updated_at)}</Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
            {c.published_version !== undefined && c.published_version < c.latest_version && (
              <Text size="sm" mt="sm" c="dimmed">
                {t('campaignPage.unpublishedChanges', { latest: c.latest_version, published: c.published_version })}
              </Text>
            )}
            <VersionHistory name={c.name} latest={c.latest_version} published={c.published_version} />
          </Card>
          <Card withBorder component="section" aria-labelledby="schedule-title">
            <Title order={3} size="h4" mb="sm" id="schedule-title">
              {t('campaignPage.schedule')}
            </Title>
            {schedule.isPending && schedule.fetchStatus !== 'idle' && <Loader size="xs" aria-label={t('app.loading')} />}
            {schedule.error && <Alert color="red">{t('app.error', { message: schedule.error.message })}</Alert>}
            {c.status === 'archived' && <Text size="sm">{t('campaignPage.archivedSchedule')}</Text>}
            {schedule.data && schedule.data.length === 0 && <Text size="sm">{t('campaignPage.noSchedule')}</Text>}
            {schedule.data && schedule.data.length > 0 && (
              <>
                <Text size="sm" mb={4}>
                  {c.status === 'published' ? t('campaignPage.nextRuns') : t('campaignPage.nextRunsOnceLive')}
                </Text>
                <List size="sm">
                  {schedule.data.map((at) => (
                    <List.Item key={at}>{formatTime(at)}</List.Item>
                  ))}
                </List>
              </>
            )}
          </Card>
        </SimpleGrid>
      )}
      {c && (
        <Card withBorder component="section" aria-labelledby="runs-title">
          <Title order={3} size="h4" mb="sm" id="runs-title">
            {t('campaignPage.runs')}
          </Title>
          {runs.isPending && <Loader size="xs" aria-label={t('app.loading')} />}
          {runs.error && <Alert color="red">{t('app.error', { message: runs.error.message })}</Alert>}
          {runs.data && runs.data.length === 0 && <Text size="sm">{t('campaignPage.noRuns')}</Text>}
          {runs.data && runs.data.length > 0 && (
            <Table striped aria-labelledby="runs-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('campaignPage.run')}</Table.Th>
                  <Table.Th>{t('campaignPage.mode')}</Table.Th>
                  <Table.Th>{t('campaignPage.status')}</Table.Th>
                  <Table.Th ta="right">{t('campaignPage.version')}</Table.Th>
                  <Table.Th>{t('campaignPage.trigger')}</Table.Th>
                  <Table.Th>{t('campaignPage.started')}</Table.Th>
                  <Table.Th>{t('campaignPage.finished')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {runs.data.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/runs/${r.id}`}>
                        {t('campaignPage.runId', { id: r.id })}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{t(`run.mode.${r.mode}`)}</Table.Td>
                    <Table.Td>
                      <RunStatusBadge status={r.status} />
                    </Table.Td>
                    <Table.Td ta="right">{r.version}</Table.Td>
                    <Table.Td>{r.trigger}</Table.Td>
                    <Table.Td>{formatTime(r.created_at)}</Table.Td>
                    <Table.Td>{formatTime(r.finished_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      )}
      {c && (
        <>
          <Modal closeButtonProps={{ 'aria-label': t('campaignList.close') }} opened={confirmLive} onClose={() => setConfirmLive(false)} title={t('campaignPage.liveTitle', { name })}>
            <Stack>
              <Text>{t('campaignPage.liveIntro', { version: c.published_version })}</Text>
              {start.error && <ProblemList error={start.error} />}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setConfirmLive(false)}>
                  {t('campaignList.cancel')}
                </Button>
                <Button onClick={() => start.mutate('live')} loading={start.isPending && start.variables === 'live'}>
                  {t('campaignPage.liveConfirm', { version: c.published_version })}
                </Button>
              </Group>
            </Stack>
          </Modal>
          <DuplicateCampaign campaign={c} opened={dialog === 'duplicate'} onClose={() => setDialog(undefined)} />
          <ArchiveCampaign campaign={c} opened={dialog === 'archive'} onClose={() => setDialog(undefined)} />
          <DeleteCampaign campaign={c} opened={dialog === 'delete'} onClose={() => setDialog(undefined)} onDeleted={() => navigate('/campaigns')} />
        </>
      )}
    </Stack>
  );
}
