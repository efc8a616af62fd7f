import { Button, Group, Modal, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { check } from '../campaigns/list/campaignApi';
import { ProblemList } from '../campaigns/list/CampaignDialogs';
import { formatCount } from '../format';
import { finalRunStatuses, totals } from './figures';
import type { RunUpdate } from './useRunWatch';

type Action = 'pause' | 'resume' | 'stop' | 'confirm';

/** RunActions offers what the run's state allows: pause, resume, stop (a
 * confirmation first) and confirm the send of held messages (a dialog
 * with the counts). */
export function RunActions({ update }: { update: RunUpdate }) {
  const { t } = useTranslation();
  const { run } = update.status;
  const id = run.id;
  const sum = totals(update.delivery);
  const paused = update.delivery.reduce((n, d) => n + d.paused, 0);
  const [asking, setAsking] = useState<'stop' | 'confirm'>();
  const act = useMutation({
    mutationFn: async (action: Action) => {
      const path = { params: { path: { id } } };
      switch (action) {
        case 'pause':
          return check(await api.POST('/api/runs/{id}/pause', path));
        case 'resume':
          return check(await api.POST('/api/runs/{id}/resume', path));
        case 'stop':
          return check(await api.POST('/api/runs/{id}/stop', path));
        case 'confirm':
          return check(await api.POST('/api/runs/{id}/confirm', path));
      }
    },
    onSuccess: (res, action) => {
      setAsking(undefined);
      const released = action === 'confirm' ? (res as { released: number }).released : 0;
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('campaignList.close') }, message: t(`runMonitor.done.${action}`, { count: released, formatted: formatCount(released) }) });
    },
  });
  // A send goes on after its run completed: it can still be paused while
  // messages wait to go, and stopped while they wait or are paused.
  const running = !finalRunStatuses.has(run.status);
  const live = run.mode === 'live';
  const waiting = sum.pending + sum.held;
  const canPause = run.status !== 'paused' && run.status !== 'stopped' && (running || (live && waiting > 0));
  const canResume = run.status === 'paused' || paused > 0;
  const canStop = run.status !== 'stopped' && (running || (live && waiting + paused > 0));
  return (
    <Stack gap="xs">
      <Group gap="xs">
        {sum.held > 0 && (
          <Button onClick={() => setAsking('confirm')}>
            {t('runMonitor.confirmSend', { count: sum.held, formatted: formatCount(sum.held) })}
          </Button>
        )}
        {canPause && (
          <Button variant="default" onClick={() => act.mutate('pause')} loading={act.isPending && act.variables === 'pause'}>
            {t('runMonitor.pause')}
          </Button>
        )}
        {canResume && (
          <Button onClick={() => act.mutate('resume')} loading={act.isPending && act.variables === 'resume'}>
            {t('runMonitor.resume')}
          </Button>
        )}
        {canStop && (
          <Button color="red" variant="outline" onClick={() => setAsking('stop')}>
            {t('runMonitor.stop')}
          </Button>
        )}
      </Group>
      {act.error && !asking && <ProblemList error={act.error} />}
      <Modal
        closeButtonProps={{ 'aria-label': t('campaignList.close') }}
        opened={asking === 'confirm'}
        onClose={() => {
          setAsking(undefined);
          act.reset();
        }}
        title={t('runMonitor.confirmTitle', { id })}
      >
        <Stack>
          <Text>{t('runMonitor.confirmIntro')}</Text>
          <Table variant="vertical" withTableBorder={false} aria-label={t('runMonitor.confirmFigures')}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th>{t('runMonitor.targeted')}</Table.Th>
                <Table.Td ta="right">{formatCount(sum.targeted)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('runMonitor.excluded')}</Table.Th>
                <Table.Td ta="right">{formatCount(sum.excluded)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('runMonitor.held')}</Table.Th>
                <Table.Td ta="right">{formatCount(sum.held)}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          {act.error && <ProblemList error={act.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(undefined)}>
              {t('campaignList.cancel')}
            </Button>
            <Button onClick={() => act.mutate('confirm')} loading={act.isPending}>
              {t('runMonitor.confirmSubmit', { count: sum.held, formatted: formatCount(sum.held) })}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal
        closeButtonProps={{ 'aria-label': t('campaignList.close') }}
        opened={asking === 'stop'}
        onClose={() => {
          setAsking(undefined);
          act.reset();
        }}
        title={t('runMonitor.stopTitle', { id })}
      >
        <Stack>
          <Text>{t('runMonitor.stopIntro')}</Text>
          {act.error && <ProblemList error={act.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(undefined)}>
              {t('campaignList.cancel')}
            </Button>
            <Button color="red" onClick={() => act.mutate('stop')} loading={act.isPending}>
              {t('runMonitor.stopConfirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

/** RetryActivity retries a failed activity of a run that waits (policy
 * on_error: wait). */
export function RetryActivity({ run, activity }: { run: number; activity: string }) {
  const { t } = useTranslation();
  const retry = useMutation({
    mutationFn: async () => check(await api.POST('/api/runs/{id}/activities/{activity}/retry', { params: { path: { id: run, activity } } })),
  });
  return (
    <Group gap={4}>
      <Button size="compact-xs" variant="default" onClick={() => retry.mutate()} loading={retry.isPending} aria-label={t('runMonitor.retryOf', { activity })}>
        {t('runMonitor.retry')}
      </Button>
      {retry.error && (
        <Text size="xs" c="red">
          {retry.error.message}
        </Text>
      )}
    </Group>
  );
}

/** ResolveInDoubt resends or drops a channel activity's in-doubt
 * messages, after saying what each does. */
export function ResolveInDoubt({ run, activity, count, stopped }: { run: number; activity: string; count: number; stopped: boolean }) {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  const resolve = useMutation({
    mutationFn: async (decision: 'resend' | 'drop') => check(await api.POST('/api/runs/{id}/resolve', { params: { path: { id: run } }, body: { decision, activity } })),
    onSuccess: (res) => {
      setOpened(false);
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('campaignList.close') }, message: t(`runMonitor.resolved.${res.decision}`, { count: res.messages, formatted: formatCount(res.messages) }) });
    },
  });
  return (
    <>
      <Button size="compact-sm" variant="light" onClick={() => setOpened(true)}>
        {t('runMonitor.resolve', { count, formatted: formatCount(count) })}
      </Button>
      <Modal
        closeButtonProps={{ 'aria-label': t('campaignList.close') }}
        opened={opened}
        onClose={() => {
          setOpened(false);
          resolve.reset();
        }}
        title={t('runMonitor.resolveTitle', { activity })}
      >
        <Stack>
          <Text>{t('runMonitor.resolveIntro', { count, formatted: formatCount(count) })}</Text>
          <Text size="sm">{t('runMonitor.resolveResend')}</Text>
          <Text size="sm">{t('runMonitor.resolveDrop')}</Text>
          {resolve.error && <ProblemList error={resolve.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              {t('campaignList.cancel')}
            </Button>
            <Button color="red" variant="outline" onClick={() => resolve.mutate('drop')} loading={resolve.isPending && resolve.variables === 'drop'}>
              {t('runMonitor.drop')}
            </Button>
            {!stopped && (
              <Button onClick={() => resolve.mutate('resend')} loading={resolve.isPending && resolve.variables === 'resend'}>
                {t('runMonitor.resend')}
              </Button>
            )}
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
