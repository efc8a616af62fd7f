import { Alert, Anchor, Badge, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { RunStatusBadge } from '../campaigns/list/CampaignCells';
import { readableAlert } from '../campaigns/list/CampaignDialogs';
import { formatCount, formatDecimal, formatTime } from '../format';
import { useTitle } from '../useTitle';
import { DeliveryCard } from './DeliveryCard';
import type { ActivityStatus, RunStatus } from './figures';
import { RetryActivity, RunActions } from './RunActions';
import { RunLogButton } from './RunLog';
import { rateOf, useRunWatch } from './useRunWatch';
import { causes, type Cause } from './why';

const activityColors: Record<ActivityStatus['status'], string> = {
  pending: 'gray',
  queued: 'gray',
  running: 'blue',
  held: 'orange',
  done: 'green',
  skipped: 'gray',
  failed: 'red',
  stopped: 'dark',
};

/** CauseAlert says one reason the run's messages do not go out. */
function CauseAlert({ cause }: { cause: Cause }) {
  const { t } = useTranslation();
  const color = cause.kind === 'simulation' ? 'blue' : cause.kind === 'failed' ? 'red' : 'orange';
  const values: Record<string, unknown> = { ...cause };
  if ('count' in cause) values.formatted = formatCount(cause.count);
  if (cause.kind === 'confirmation') {
    values.formatted = formatCount(cause.held);
    values.count = cause.held;
    values.targeted = formatCount(cause.targeted);
  }
  if ('activities' in cause) values.activities = cause.activities.join(', ');
  if (cause.kind === 'allExcluded') {
    values.reasons = Object.entries(cause.reasons)
      .map(([r, n]) => `${t(`runMonitor.reasons.${r}`, { defaultValue: r })} ${formatCount(n)}`)
      .join(', ');
  }
  return (
    <Alert color={color} title={t(`runMonitor.why.${cause.kind}.title`, values)} role={cause.kind === 'simulation' ? undefined : 'status'} styles={readableAlert}>
      {t(`runMonitor.why.${cause.kind}.text`, values)}
    </Alert>
  );
}

/** Header shows who and what the run is: its campaign, version, mode,
 * status, trigger and times. */
function Header({ status }: { status: RunStatus }) {
  const { t } = useTranslation();
  const r = status.run;
  const rows: [string, React.ReactNode][] = [
    [
      t('runMonitor.campaign'),
      <Anchor component={Link} to={`/campaigns/${encodeURIComponent(r.campaign)}`}>
        {r.campaign}
      </Anchor>,
    ],
    [t('runMonitor.version'), r.version],
    [t('runMonitor.mode'), t(`run.mode.${r.mode}`)],
    [t('runMonitor.trigger'), r.trigger + (r.occurrence ? ` · ${formatTime(r.occurrence)}` : '')],
    [t('runMonitor.started'), formatTime(r.created_at)],
    [t('runMonitor.finished'), r.finished_at ? formatTime(r.finished_at) : '—'],
  ];
  return (
    <Table variant="vertical" withTableBorder={false} aria-label={t('runMonitor.details')}>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Th w={140}>{k}</Table.Th>
            <Table.Td>{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Activities lists the run's activities with their state (changing
 * live), rows in and out, attempts, duration, error and log. */
function Activities({ status, waiting, stamp }: { status: RunStatus; waiting: boolean; stamp: string }) {
  const { t } = useTranslation();
  return (
    <Table striped aria-labelledby="activities-title">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('runMonitor.activity')}</Table.Th>
          <Table.Th>{t('runMonitor.type')}</Table.Th>
          <Table.Th>{t('runMonitor.state')}</Table.Th>
          <Table.Th ta="right">{t('runMonitor.rowsIn')}</Table.Th>
          <Table.Th ta="right">{t('runMonitor.rowsOut')}</Table.Th>
          <Table.Th ta="right">{t('runMonitor.attempts')}</Table.Th>
          <Table.Th ta="right">{t('runMonitor.duration')}</Table.Th>
          <Table.Th>{t('runMonitor.error')}</Table.Th>
          <Table.Th>{t('runLog.button')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {(status.activities ?? []).map((a) => (
          <Table.Tr key={a.id} data-activity={a.id} data-status={a.status}>
            <Table.Td>{a.id}</Table.Td>
            <Table.Td>{a.type}</Table.Td>
            <Table.Td>
              <Badge color={activityColors[a.status]} variant="light">
                {t(`runMonitor.activityStatus.${a.status}`)}
              </Badge>
            </Table.Td>
            <Table.Td ta="right">{a.rows_in === undefined ? '' : formatCount(a.rows_in)}</Table.Td>
            <Table.Td ta="right">{a.rows_out === undefined ? '' : formatCount(a.rows_out)}</Table.Td>
            <Table.Td ta="right">{a.attempts}</Table.Td>
            <Table.Td ta="right" title={a.started_at ? `${formatTime(a.started_at)} → ${formatTime(a.finished_at)}` : undefined}>
              {a.millis === undefined ? '' : t('runMonitor.seconds', { seconds: formatDecimal(a.millis / 1000, 2) })}
            </Table.Td>
            <Table.Td>
              <Group gap="xs">
                {a.error && (
                  <Text size="sm" c="red">
                    {a.error}
                  </Text>
                )}
                {waiting && a.status === 'failed' && <RetryActivity run={status.run.id} activity={a.id} />}
              </Group>
            </Table.Td>
            <Table.Td>
              <RunLogButton run={status.run.id} activity={a.id} stamp={stamp} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Transitions lists the run's transitions with the rows each carried. */
function Transitions({ status }: { status: RunStatus }) {
  const { t } = useTranslation();
  return (
    <Table striped aria-labelledby="transitions-title">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('runMonitor.from')}</Table.Th>
          <Table.Th>{t('runMonitor.to')}</Table.Th>
          <Table.Th>{t('runMonitor.state')}</Table.Th>
          <Table.Th ta="right">{t('runMonitor.count')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {(status.transitions ?? []).map((tr) => (
          <Table.Tr key={`${tr.from}.${tr.output}->${tr.to}`} data-transition={`${tr.from}.${tr.output}->${tr.to}`}>
            <Table.Td>{tr.output === 'out' ? tr.from : `${tr.from}.${tr.output}`}</Table.Td>
            <Table.Td>{tr.to}</Table.Td>
            <Table.Td>{t(`runMonitor.transitionState.${tr.state}`)}</Table.Td>
            <Table.Td ta="right">{tr.count === undefined ? (tr.control ? t('runMonitor.control') : '') : formatCount(tr.count)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** RunMonitor follows a run live: its header and the actions its state
 * allows, why nothing is being sent (when so), its channel activities'
 * delivery figures with progress and rate, its activities and its
 * transitions with their counts. */
export function RunMonitor() {
  const { t } = useTranslation();
  const id = Number(useParams().id);
  const valid = Number.isInteger(id) && id > 0;
  useTitle(t('runMonitor.title', { id }));
  const { update, error, samples } = useRunWatch(valid ? id : 0);
  const status = update?.status;
  const why = update ? causes(update) : [];
  // What the log may have gained since: the run's and its activities'
  // states, and its messages paused, held or cancelled.
  const stamp = update
    ? JSON.stringify([
        update.status.run.status,
        (update.status.activities ?? []).map((a) => `${a.status}/${a.attempts}`),
        update.delivery.map((d) => `${d.paused}/${d.held}/${d.cancelled ?? 0}`),
      ])
    : '';
  return (
    <Stack>
      {status && (
        <Anchor component={Link} to={`/campaigns/${encodeURIComponent(status.run.campaign)}`}>
          {t('runMonitor.back', { campaign: status.run.campaign })}
        </Anchor>
      )}
      <Group gap="sm">
        <Title order={2}>{t('runMonitor.title', { id })}</Title>
        {status && <RunStatusBadge status={status.run.status} />}
        {status && <Badge variant="outline">{t(`run.mode.${status.run.mode}`)}</Badge>}
        {update && !update.final && (
          <Badge variant="dot" color="blue">
            {t('runMonitor.live')}
          </Badge>
        )}
        {status && (
          <Group gap="md" ml="auto">
            <Anchor component={Link} to={`/campaigns/${encodeURIComponent(status.run.campaign)}/edit?run=${id}`}>
              {t('runMonitor.onCanvas')}
            </Anchor>
            <Anchor component={Link} to={`/runs/${id}/report`}>
              {t('runMonitor.report')}
            </Anchor>
          </Group>
        )}
      </Group>
      {!valid && <Alert color="red">{t('runMonitor.badId')}</Alert>}
      {error && <Alert color="red">{t('app.error', { message: error })}</Alert>}
      {valid && !update && !error && <Loader size="sm" aria-label={t('app.loading')} />}
      {update && status && (
        <>
          {why.length > 0 && (
            <Stack gap="xs" component="section" aria-label={t('runMonitor.whyLabel')}>
              {why.map((c, i) => (
                <CauseAlert key={i} cause={c} />
              ))}
            </Stack>
          )}
          {status.run.error && status.run.status !== 'failed' && <Alert color="red">{status.run.error}</Alert>}
          <RunActions update={update} />
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Header status={status} />
            </Card>
            <Card withBorder component="section" aria-labelledby="transitions-title">
              <Title order={3} size="h4" mb="sm" id="transitions-title">
                {t('runMonitor.transitions')}
              </Title>
              <Transitions status={status} />
            </Card>
          </SimpleGrid>
          {update.delivery.length > 0 && (
            <Stack gap="sm" component="section" aria-labelledby="delivery-title">
              <Title order={3} size="h4" id="delivery-title">
                {t('runMonitor.delivery')}
              </Title>
              {update.delivery.map((d) => (
                <DeliveryCard key={d.activity} figures={d} run={id} rate={rateOf(samples, d.activity)} stopped={status.run.status === 'stopped'} />
              ))}
            </Stack>
          )}
          <Card withBorder component="section" aria-labelledby="activities-title">
            <Group justify="space-between" mb="sm">
              <Title order={3} size="h4" id="activities-title">
                {t('runMonitor.activities')}
              </Title>
              <RunLogButton run={id} stamp={stamp} />
            </Group>
            <Activities status={status} waiting={status.run.status === 'waiting'} stamp={stamp} />
          </Card>
        </>
      )}
    </Stack>
  );
}
