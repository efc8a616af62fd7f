import { Anchor, Badge, Group, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, must } from '../../api/client';
import { formatCount, formatTime } from '../../format';
import { simulatedTargets, totals } from '../../runs/figures';
import { keys, type Campaign, type Run } from './campaignApi';

const statusColors: Record<Campaign['status'], string> = { draft: 'gray', published: 'green', archived: 'dark' };

/** StatusBadge shows a campaign's status. */
export function StatusBadge({ status }: { status: Campaign['status'] }) {
  const { t } = useTranslation();
  return (
    <Badge color={statusColors[status]} variant="light" style={{ flexShrink: 0 }}>
      {t(`campaignList.statuses.${status}`)}
    </Badge>
  );
}

const runColors: Record<Run['status'], string> = { running: 'blue', paused: 'yellow', waiting: 'orange', completed: 'green', failed: 'red', stopped: 'gray' };

/** RunStatusBadge shows a run's status. */
export function RunStatusBadge({ status }: { status: Run['status'] }) {
  const { t } = useTranslation();
  return (
    <Badge color={runColors[status]} variant="light" style={{ flexShrink: 0 }}>
      {t(`run.status.${status}`)}
    </Badge>
  );
}

/** Versions says a campaign's latest version and the published one. */
export function Versions({ campaign: c }: { campaign: Campaign }) {
  const { t } = useTranslation();
  return (
    <Stack gap={0}>
      <Text size="sm">{c.latest_version > 0 ? t('campaignList.latestIs', { version: c.latest_version }) : t('campaignList.notSaved')}</Text>
      {c.draft && (
        <Text size="xs" c="dimmed" data-testid={`draft-${c.name}`}>
          {t('campaignList.draftBy', { who: c.draft.updated_by })}
        </Text>
      )}
      {c.published_version !== undefined && (
        <Text size="xs" c="dimmed">
          {t('campaignList.publishedIs', { version: c.published_version })}
        </Text>
      )}
    </Stack>
  );
}

/** LastRun shows a campaign's last run: its mode, status, when it started
 * and what it sent (a simulation: whom it would have sent to). */
export function LastRun({ run }: { run?: Run }) {
  const { t } = useTranslation();
  if (!run) return <Text size="sm" c="dimmed">{t('campaignList.neverRun')}</Text>;
  return (
    <Stack gap={2}>
      <Group gap={6} wrap="nowrap">
        <Anchor component={Link} to={`/runs/${run.id}`} size="sm">
          {t('campaignList.runLink', { id: run.id, mode: t(`run.mode.${run.mode}`) })}
        </Anchor>
        <RunStatusBadge status={run.status} />
      </Group>
      <Group gap={6}>
        <Text size="xs" c="dimmed">
          {formatTime(run.created_at)}
        </Text>
        <RunFigures run={run} />
      </Group>
    </Stack>
  );
}

/** RunFigures says a run's sent / targeted, or a simulation's targets,
 * read when the row shows. */
function RunFigures({ run }: { run: Run }) {
  const { t } = useTranslation();
  const figures = useQuery({
    queryKey: ['runs', run.id, 'figures'],
    queryFn: async ({ signal }) => {
      if (run.mode === 'simulate') {
        const st = must(await api.GET('/api/runs/{id}', { params: { path: { id: run.id } }, signal }));
        return { simulated: simulatedTargets(st) };
      }
      const d = must(await api.GET('/api/runs/{id}/delivery', { params: { path: { id: run.id } }, signal }));
      return { live: totals(d.channels ?? []) };
    },
    staleTime: 10_000,
  });
  if (!figures.data) return null;
  return (
    <Text size="xs">
      {figures.data.live
        ? t('campaignList.sentOf', { sent: formatCount(figures.data.live.sent), targeted: formatCount(figures.data.live.targeted) })
        : t('campaignList.wouldTarget', { count: figures.data.simulated ?? 0, formatted: formatCount(figures.data.simulated ?? 0) })}
    </Text>
  );
}

/** NextOccurrence shows when a published campaign's schedule next starts
 * a run (nothing for a campaign run by hand or by signal). */
export function NextOccurrence({ name }: { name: string }) {
  const { t } = useTranslation();
  const next = useQuery({
    queryKey: [...keys.schedule(name), 1],
    queryFn: async ({ signal }) => must(await api.GET('/api/campaigns/{name}/schedule', { params: { path: { name }, query: { n: 1 } }, signal })).occurrences ?? [],
    staleTime: 60_000,
  });
  const at = next.data?.[0];
  if (!at) return null;
  return <Text size="sm">{t('campaignList.nextAt', { time: formatTime(at) })}</Text>;
}
