import { Alert, Badge, Box, Button, Code, Group, Image, Loader, Paper, SegmentedControl, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import YAML from 'yaml';
import { api, errorMessage } from '../../api/client';
import type { ModelEntity } from '../../audiences/tree/model';
import { segmentInfo } from '../../messages/sms';
import { transitionsOf, type CampaignDoc } from '../doc';
import type { Rendered } from './usePreview';

/** keyOf names an entity's key attributes. */
export function keyOf(e: ModelEntity | undefined): string[] {
  const k = (e as { key?: unknown } | undefined)?.key;
  return Array.isArray(k) ? k.map(String) : [];
}

/** typedKey reads the key values typed as text in their attributes'
 * types (an integer key as a number); undefined while one is empty. */
export function typedKey(e: ModelEntity | undefined, texts: string[]): unknown[] | undefined {
  const names = keyOf(e);
  if (names.length === 0 || texts.length !== names.length || texts.some((x) => x.trim() === '')) return undefined;
  return names.map((n, i) => {
    const a = e?.attributes?.find((x) => x.name === n);
    const v = (texts[i] ?? '').trim();
    return (a?.type === 'integer' || a?.type === 'decimal') && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  });
}

const shownAttrs = ['first_name', 'last_name', 'name', 'email', 'phone'];

interface ChooserProps {
  dim?: ModelEntity;
  doc: CampaignDoc;
  id: string;
  runId?: number;
  value: string[];
  onChange: (v: string[]) => void;
}

/** ProfileChooser picks the profile a preview renders for: its key typed,
 * or one of a few profiles of the dimension, or, when a run is shown, one
 * of the rows that entered the activity. */
export function ProfileChooser({ dim, doc, id, runId, value, onChange }: ChooserProps) {
  const { t } = useTranslation();
  const keys = keyOf(dim);
  const extra = shownAttrs.filter((a) => dim?.attributes?.some((x) => x.name === a) && !keys.includes(a));
  const incoming = transitionsOf(doc).find((tr) => tr.to === id);
  const rows = useQuery({
    queryKey: ['panel-profiles', dim?.name, runId, incoming?.from, incoming?.output],
    enabled: !!dim && keys.length > 0,
    staleTime: 60_000,
    queryFn: async ({ signal }): Promise<{ columns: string[]; rows: unknown[][] }> => {
      if (runId !== undefined && incoming) {
        const { data, error } = await api.GET('/api/runs/{id}/preview', { params: { path: { id: runId }, query: { activity: incoming.from, port: incoming.output, limit: 50 } }, signal });
        if (error) throw new Error(errorMessage(error));
        return { columns: data.columns ?? [], rows: data.rows ?? [] };
      }
      const { data, error } = await api.POST('/api/audiences/count', { body: { text: 'all', dimension: dim!.name, sample: 20, attributes: [...keys, ...extra] }, signal });
      if (error) throw new Error(errorMessage(error));
      return { columns: data.sample?.columns ?? [], rows: (data.sample?.rows ?? []) as unknown[][] };
    },
  });
  const options = (rows.data?.rows ?? []).flatMap((r) => {
    const cols = rows.data?.columns ?? [];
    const k = keys.map((n) => r[cols.indexOf(n)]);
    if (k.some((x) => x === undefined || x === null)) return [];
    // A profile: its name and address; a run's row: its enrichment columns.
    const shown = cols.some((c) => extra.includes(c)) ? extra : cols.filter((c) => !keys.includes(c)).slice(0, 3);
    const rest = shown.map((n) => r[cols.indexOf(n)]).filter((x) => x !== undefined && x !== null && x !== '');
    return [{ value: JSON.stringify(k.map(String)), label: [k.join(', '), ...rest.map(String)].join(' · ') }];
  });
  const chosen = JSON.stringify(value);
  // No profile yet: the first one offered, so that a preview shows at once.
  const first = options[0]?.value;
  const picked = useRef(false);
  useEffect(() => {
    if (picked.current || !first) return;
    picked.current = true;
    if (value.every((v) => !v)) onChange(JSON.parse(first) as string[]);
  }, [first]); // eslint-disable-line react-hooks/exhaustive-deps -- once, when the first profiles come
  return (
    <Stack gap={6}>
      <Select
        label={runId !== undefined && incoming ? t('panel.preview.fromRun', { run: runId }) : t('panel.preview.profiles')}
        data={options}
        value={options.some((o) => o.value === chosen) ? chosen : null}
        onChange={(v) => v && onChange(JSON.parse(v) as string[])}
        searchable
        placeholder={rows.isPending ? t('app.loading') : t('panel.preview.pick')}
        nothingFoundMessage={t('panel.preview.noRows')}
      />
      <Group gap="xs" grow>
        {keys.map((k, i) => (
          <TextInput
            key={k}
            label={t('panel.preview.key', { attribute: k })}
            value={value[i] ?? ''}
            onChange={(e) => {
              const next = keys.map((_, j) => value[j] ?? '');
              next[i] = e.currentTarget.value;
              onChange(next);
            }}
            spellCheck={false}
          />
        ))}
      </Group>
      {rows.error && (
        <Text size="xs" c="red.8">
          {rows.error.message}
        </Text>
      )}
    </Stack>
  );
}

/** staleStyle marks a preview kept from before the last edit (being
 * rendered again, or the edit has problems): greyed and outlined, not
 * faded — an opacity took its text below AA contrast. */
function staleStyle(stale: boolean): React.CSSProperties | undefined {
  return stale ? { filter: 'grayscale(1)', outline: '1px dashed var(--mantine-color-gray-6)', outlineOffset: 4 } : undefined;
}

/** The rendered email's HTML is shown in a frame that runs no script, is
 * another origin (sandbox without allow-same-origin) and loads nothing
 * remote (its own policy): the template is its author's, the page is ours. */
const framePolicy = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`;

/** EmailPreview shows a rendered email: its headers, its HTML at desktop
 * or mobile width, its text part. */
export function EmailPreview({ message, stale }: { message: Rendered; stale: boolean }) {
  const { t } = useTranslation();
  const [width, setWidth] = useState<'desktop' | 'mobile' | 'text'>('desktop');
  const email = message.email ?? {};
  return (
    <Stack gap="xs" style={staleStyle(stale)} data-stale={stale}>
      <Table variant="vertical" withTableBorder={false} aria-label={t('panel.preview.headers')}>
        <Table.Tbody>
          {(
            [
              [t('messages.to'), message.to],
              [t('messages.from'), email.from],
              [t('messages.replyTo'), email.reply_to],
              [t('messages.subject'), email.subject],
              [t('messages.preheader'), email.preheader],
            ] as [string, string | undefined][]
          )
            .filter(([, v]) => v)
            .map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Th w={110}>{k}</Table.Th>
                <Table.Td data-testid={`preview-${k}`} style={{ wordBreak: 'break-word' }}>
                  {v}
                </Table.Td>
              </Table.Tr>
            ))}
        </Table.Tbody>
      </Table>
      <SegmentedControl
        size="xs"
        value={width}
        onChange={(v) => setWidth(v as typeof width)}
        aria-label={t('panel.preview.width')}
        data={[
          { value: 'desktop', label: t('panel.preview.desktop') },
          { value: 'mobile', label: t('panel.preview.mobile') },
          { value: 'text', label: t('panel.preview.text') },
        ]}
      />
      {width === 'text' ? (
        // Wrapped anywhere (a long link no longer scrolls it sideways), and
        // reachable by Tab should it still scroll (axe's scrollable-region-focusable).
        <Code block tabIndex={0} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="preview-text">
          {email.text}
        </Code>
      ) : (
        <Box
          component="iframe"
          sandbox=""
          srcDoc={framePolicy + (email.html ?? '')}
          title={t('panel.preview.frame', { subject: email.subject ?? '' })}
          referrerPolicy="no-referrer"
          w={width === 'mobile' ? 375 : '100%'}
          maw="100%"
          h={480}
          data-width={width}
          style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: width === 'mobile' ? 16 : 4, background: 'white', alignSelf: width === 'mobile' ? 'center' : undefined }}
        />
      )}
    </Stack>
  );
}

/** Segments says how an SMS text travels: encoding, length, segments. */
export function Segments({ text, label, testId }: { text: string; label: string; testId: string }) {
  const { t } = useTranslation();
  const info = segmentInfo(text);
  return (
    <Group gap="xs" data-testid={testId}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Badge variant="light" color={info.segments > 1 ? 'orange' : 'blue'}>
        {t('panel.sms.segments', { count: info.segments })}
      </Badge>
      <Text size="xs" c="dimmed">
        {t('messages.encoding', { encoding: info.encoding, chars: info.chars })}
      </Text>
    </Group>
  );
}

function Phone({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Paper withBorder radius={28} p="md" pt="xs" w={300} maw="100%" bg="var(--mantine-color-gray-1)" role="figure" aria-label={label} style={{ minHeight: 160 }}>
      <Text size="xs" c="dimmed" ta="center" mb="sm" aria-hidden>
        {label}
      </Text>
      {children}
    </Paper>
  );
}

export function SmsPreview({ message, stale }: { message: Rendered; stale: boolean }) {
  const { t } = useTranslation();
  const text = message.sms?.text ?? '';
  return (
    <Stack gap="xs" style={staleStyle(stale)} data-stale={stale}>
      <Phone label={t('messages.smsPreview')}>
        {message.sms?.from && (
          <Text size="xs" c="dimmed" ta="center" mb="xs">
            {message.sms.from}
          </Text>
        )}
        <Paper radius="lg" p="sm" bg="var(--mantine-color-body)" shadow="xs" maw="85%">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="preview-sms">
            {text}
          </Text>
        </Paper>
      </Phone>
      <Segments text={text} label={t('panel.sms.rendered')} testId="segments-rendered" />
    </Stack>
  );
}

export function PushPreview({ message, stale }: { message: Rendered; stale: boolean }) {
  const { t } = useTranslation();
  const p = message.push ?? {};
  const image = p.image?.startsWith('data:') ? <Image src={p.image} alt="" radius="sm" mt="xs" /> : p.image ? <Text size="xs" c="dimmed">{t('panel.push.imageAt', { url: p.image })}</Text> : null;
  return (
    <Group align="start" gap="md" style={staleStyle(stale)} data-stale={stale}>
      <Phone label={t('panel.push.ios')}>
        <Paper radius="lg" p="sm" bg="var(--mantine-color-body)" shadow="sm" style={{ backdropFilter: 'blur(4px)' }}>
          <Group gap="xs" mb={4} justify="space-between">
            <Text size="xs" fw={600} c="dimmed" tt="uppercase">
              {t('app.name')}
            </Text>
            <Text size="xs" c="dimmed">
              {t('messages.now')}
            </Text>
          </Group>
          {p.title && (
            <Text size="sm" fw={600} data-testid="push-ios-title">
              {p.title}
            </Text>
          )}
          {p.body && <Text size="sm">{p.body}</Text>}
          {image}
        </Paper>
      </Phone>
      <Phone label={t('panel.push.android')}>
        <Paper radius="md" p="sm" bg="var(--mantine-color-body)" shadow="sm">
          <Group gap={6} mb={4}>
            <Box w={12} h={12} bg="var(--mantine-color-blue-6)" style={{ borderRadius: 6 }} />
            <Text size="xs" c="dimmed">
              {t('app.name')} · {t('messages.now')}
            </Text>
          </Group>
          {p.title && (
            <Text size="sm" fw={500}>
              {p.title}
            </Text>
          )}
          {p.body && (
            <Text size="sm" c="dimmed">
              {p.body}
            </Text>
          )}
          {image}
        </Paper>
      </Phone>
    </Group>
  );
}

/** Proof sends the message rendered for the chosen profile to test
 * addresses (POST …/proof with the document being edited). */
export function Proof({ campaign, id, doc, profile, channel }: { campaign: string; id: string; doc: CampaignDoc; profile?: unknown[]; channel: string }) {
  const { t } = useTranslation();
  const [toText, setToText] = useState('');
  const to = toText.split(/[\s,;]+/).filter(Boolean).slice(0, 50);
  const send = useMutation({
    mutationFn: async () => {
      const { data, error } = await api.POST('/api/campaigns/{name}/activities/{activity}/proof', {
        params: { path: { name: campaign, activity: id } },
        body: { key: profile ?? [], to, document: YAML.stringify(doc) },
      });
      if (error || !data) throw new Error(errorMessage(error));
      return data.results;
    },
  });
  return (
    <Paper withBorder p="xs" component="section" aria-labelledby="proof-title">
      <Text fw={600} size="sm" id="proof-title" mb={4}>
        {t('panel.proof.title')}
      </Text>
      <Group align="end" gap="xs" wrap="nowrap">
        <TextInput
          size="xs"
          label={t(`panel.proof.to.${channel}`, { defaultValue: t('panel.proof.to.email') })}
          description={t('panel.proof.toHelp')}
          value={toText}
          onChange={(e) => setToText(e.currentTarget.value)}
          style={{ flex: 1 }}
          spellCheck={false}
        />
        <Button size="xs" onClick={() => send.mutate()} disabled={to.length === 0 || !profile} loading={send.isPending}>
          {t('panel.proof.send')}
        </Button>
      </Group>
      {send.error && (
        <Text size="xs" c="red.8" mt={4}>
          {send.error.message}
        </Text>
      )}
      {send.data && (
        <Stack gap={2} mt={4} aria-live="polite">
          {send.data.map((r, i) => (
            <Text key={r.id} size="xs" c={r.outcome === 'sent' ? 'green.8' : 'red.8'}>
              {t('panel.proof.result', { to: to[i] ?? r.id, outcome: r.outcome })}
              {r.error ? ` — ${r.error}` : ''}
            </Text>
          ))}
        </Stack>
      )}
    </Paper>
  );
}

export function PreviewState({ pending, error }: { pending: boolean; error?: string }) {
  const { t } = useTranslation();
  return (
    <>
      {pending && <Loader size="xs" role="status" aria-label={t('panel.preview.rendering')} />}
      {error && <Alert color="red">{t('panel.preview.failed', { message: error })}</Alert>}
    </>
  );
}
