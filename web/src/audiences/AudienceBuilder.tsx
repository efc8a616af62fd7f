import { Alert, Card, Grid, Group, List, Loader, Select, Stack, Text, Textarea, Title } from '@mantine/core';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearchParams } from 'react-router';
import { formatCount } from '../format';
import { SaveAudience } from './SaveAudience';
import { useDimensionAttributes } from './useDimensionAttributes';
import { useLiveCount } from './useLiveCount';
import { useTitle } from '../useTitle';

const BreakdownChart = lazy(() => import('./BreakdownChart'));

const DRAFT_KEY = 'fanfare.builder.text';

/** AudienceBuilder: a query in the text syntax with its live exact count.
 * The text is kept in the address (shareable) and in local storage (an
 * expired session does not lose it). */
export function AudienceBuilder() {
  const { t } = useTranslation();
  useTitle(t('builder.title'));
  const [params, setParams] = useSearchParams();
  const home = useRef(useLocation().pathname);
  const [text, setText] = useState(() => params.get('q') ?? localStorage.getItem(DRAFT_KEY) ?? '');
  const [by, setBy] = useState<string | null>(() => params.get('by'));
  const live = useLiveCount(text);
  const split = useLiveCount(by ? text : '', by ?? undefined);
  const attributes = useDimensionAttributes();

  useEffect(() => {
    localStorage.setItem(DRAFT_KEY, text);
    const next: Record<string, string> = {};
    if (text) next.q = text;
    if (by) next.by = by;
    // Only while the builder is still the page: a save navigates to the
    // audience, and a write landing after it put ?q= on that page's address.
    const timer = setTimeout(() => {
      if (window.location.pathname === home.current) setParams(next, { replace: true });
    }, 300);
    return () => clearTimeout(timer);
  }, [text, by, setParams]);

  const textProblem = live.problems?.find((p) => p.path === 'text' || p.path === '');
  const stale = live.pending || live.countedText !== text.trim() || !!live.problems;

  return (
    <Stack>
      <Title order={2}>{t('builder.title')}</Title>
      <Grid>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Textarea
            label={t('builder.query')}
            description={t('builder.queryHelp')}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            error={textProblem?.message}
            autosize
            minRows={6}
            spellCheck={false}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          {live.problems && live.problems.length > 0 && (
            <Alert color="red" mt="sm" title={t('builder.problems')}>
              <List size="sm">
                {live.problems.map((p, i) => (
                  <List.Item key={i}>{t('builder.problemAt', { path: p.path, message: p.message })}</List.Item>
                ))}
              </List>
            </Alert>
          )}
          {live.error && (
            <Alert color="red" mt="sm">
              {t('builder.failed', { message: live.error })}
            </Alert>
          )}
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack>
            <Card withBorder aria-live="polite" aria-busy={live.pending}>
              <Text size="sm" c="dimmed">
                {t('builder.count')}
              </Text>
              <Group gap="sm" align="center">
                <Text size="2.5rem" fw={700} opacity={stale ? 0.4 : 1} data-testid="live-count">
                  {live.count === undefined ? '—' : formatCount(live.count)}
                </Text>
                {live.pending && <Loader size="sm" aria-label={t('builder.counting')} />}
              </Group>
              <Text size="xs" c="dimmed">
                {text.trim() === '' ? t('builder.emptyQuery') : live.millis !== undefined && !stale ? t('builder.millis', { millis: Math.round(live.millis) }) : '\u00a0'}
              </Text>
            </Card>
            <SaveAudience text={text} count={stale ? undefined : live.count} />
            <Card withBorder component="section" aria-busy={split.pending}>
              <Select
                label={t('builder.breakdown')}
                placeholder={t('builder.breakdownNone')}
                data={attributes.data ?? []}
                value={by}
                onChange={setBy}
                clearable
                searchable
              />
              {by && split.breakdown && (
                <Stack mt="sm" opacity={split.pending ? 0.4 : 1}>
                  <Suspense fallback={<Loader size="sm" aria-label={t('app.loading')} />}>
                    <BreakdownChart breakdown={split.breakdown} />
                  </Suspense>
                </Stack>
              )}
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
