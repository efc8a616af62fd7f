import { Alert, Badge, Button, Checkbox, Code, FileButton, Group, List, Modal, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, APIError, type Schemas } from '../api/client';
import { changeGroup, type Change } from './types';

type Problem = Schemas['Problem'];
type ApplyResult = Schemas['ApplyResult'];

/** ModelError is a refused document: the API's error with its details
 * (the problems of an invalid model, or the destructive changes). */
class ModelError extends APIError {
  readonly details: unknown;
  constructor(status: number, error: unknown) {
    super(status, error);
    this.details = (error as { error?: { details?: unknown } } | undefined)?.error?.details;
  }
}

async function post(doc: string, query: { dry_run?: boolean; allow_destructive?: boolean }): Promise<ApplyResult> {
  // A JSON document goes as JSON, anything else as YAML (the server reads
  // both; the type only tells it which).
  const json = doc.trimStart().startsWith('{');
  const { data, error, response } = await api.POST('/api/model', {
    params: { query },
    body: doc as never,
    bodySerializer: (b: unknown) => b as string,
    headers: { 'Content-Type': json ? 'application/json' : 'application/yaml' },
  });
  if (data === undefined || error !== undefined) throw new ModelError(response.status, error);
  return data;
}

/** ApplyModel takes a new model document (typed, pasted or uploaded),
 * shows what applying it would change (a dry run), and applies it: with
 * one click when nothing is lost, after an explicit confirmation naming
 * the loss otherwise. */
export function ApplyModel({ current, onApplied }: { current?: string; onApplied: (version: number) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [doc, setDoc] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [readError, setReadError] = useState<string | null>(null);

  const plan = useMutation({ mutationFn: (d: string) => post(d, { dry_run: true }) });
  const apply = useMutation({
    mutationFn: ({ d, destructive }: { d: string; destructive: boolean }) => post(d, destructive ? { allow_destructive: true } : {}),
    onSuccess: (res) => {
      setConfirming(false);
      plan.reset();
      setDoc('');
      void client.invalidateQueries({ queryKey: ['model'] });
      void client.invalidateQueries({ queryKey: ['model-versions'] });
      void client.invalidateQueries({ queryKey: ['entities'] });
      notifications.show({ color: 'green', closeButtonProps: { 'aria-label': t('model.close') }, message: t('model.apply.applied', { version: res.version }) });
      onApplied(res.version);
    },
  });

  // A plan stands for the text it was made from: editing the text drops it,
  // so what is applied is always what was shown.
  const edit = (d: string) => {
    setDoc(d);
    plan.reset();
    apply.reset();
  };
  const upload = (file: File | null) => {
    setReadError(null);
    if (!file) return;
    file.text().then(edit, (e: unknown) => setReadError(String(e)));
  };

  const changes = plan.data?.changes ?? [];
  const destructive = changes.filter((c) => c.destructive);
  const planError = plan.error instanceof ModelError ? plan.error : undefined;
  const applyError = apply.error instanceof ModelError ? apply.error : undefined;

  return (
    <Stack>
      <Textarea
        label={t('model.apply.document')}
        description={t('model.apply.documentHint')}
        value={doc}
        onChange={(e) => edit(e.currentTarget.value)}
        autosize
        minRows={8}
        maxRows={24}
        spellCheck={false}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
      />
      <Group>
        <FileButton onChange={upload} accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml">
          {(props) => (
            <Button variant="default" {...props}>
              {t('model.apply.upload')}
            </Button>
          )}
        </FileButton>
        <Button variant="default" disabled={!current} onClick={() => edit(current ?? '')}>
          {t('model.apply.startFromCurrent')}
        </Button>
        <Button onClick={() => plan.mutate(doc)} loading={plan.isPending} disabled={doc.trim() === ''}>
          {t('model.apply.check')}
        </Button>
      </Group>
      {readError && (
        <Alert color="red" role="alert">
          {t('app.error', { message: readError })}
        </Alert>
      )}

      {planError && <Problems error={planError} />}
      {plan.error && !planError && (
        <Alert color="red" role="alert">
          {t('app.error', { message: plan.error.message })}
        </Alert>
      )}

      {plan.data?.unchanged && (
        <Alert color="blue" role="status">
          {t('model.apply.unchanged', { version: plan.data.version })}
        </Alert>
      )}
      {plan.data && !plan.data.unchanged && (
        <Stack gap="sm">
          <Title order={4} id="diff-title">
            {t('model.apply.diffTitle', { count: changes.length })}
          </Title>
          <Diff changes={changes} />
          {applyError && applyError.status !== 409 && (
            <Alert color="red" role="alert">
              {t('app.error', { message: applyError.message })}
            </Alert>
          )}
          {apply.error && !applyError && (
            <Alert color="red" role="alert">
              {t('app.error', { message: apply.error.message })}
            </Alert>
          )}
          {applyError?.status === 409 && (
            <Alert color="orange" role="alert">
              {applyError.message}
            </Alert>
          )}
          <Group>
            {destructive.length === 0 ? (
              <Button onClick={() => apply.mutate({ d: doc, destructive: false })} loading={apply.isPending}>
                {t('model.apply.apply', { count: changes.length })}
              </Button>
            ) : (
              <Button color="red" onClick={() => setConfirming(true)}>
                {t('model.apply.applyDestructive', { count: changes.length })}
              </Button>
            )}
          </Group>
        </Stack>
      )}
      <ConfirmLoss
        opened={confirming}
        changes={destructive}
        pending={apply.isPending}
        error={confirming && apply.error ? apply.error.message : undefined}
        onCancel={() => {
          setConfirming(false);
          apply.reset();
        }}
        onConfirm={() => apply.mutate({ d: doc, destructive: true })}
      />
    </Stack>
  );
}

/** Problems lists every problem of an invalid document with its line and
 * path, or the API's message for any other refusal. */
function Problems({ error }: { error: ModelError }) {
  const { t } = useTranslation();
  const problems = Array.isArray(error.details) ? (error.details as Problem[]) : [];
  if (error.code !== 'invalid_model' || problems.length === 0) {
    return (
      <Alert color="red" role="alert">
        {t('app.error', { message: error.message })}
      </Alert>
    );
  }
  return (
    <Alert color="red" role="alert" title={t('model.apply.invalid', { count: problems.length })}>
      <List size="sm" spacing={4}>
        {problems.map((p, i) => (
          <List.Item key={i}>
            {p.line ? t('model.apply.problemLine', { line: p.line }) : null} {p.path && <Code>{p.path}</Code>} {p.message}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}

const groupColor = { added: 'green', removed: 'red', changed: 'blue' } as const;

/** Diff shows a plan: each change added, changed or removed, the
 * destructive ones marked with what they would lose. */
function Diff({ changes }: { changes: Change[] }) {
  const { t } = useTranslation();
  return (
    <Table aria-labelledby="diff-title" data-testid="model-diff">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('model.apply.change')}</Table.Th>
          <Table.Th>{t('model.apply.entity')}</Table.Th>
          <Table.Th>{t('model.apply.item')}</Table.Th>
          <Table.Th>{t('model.apply.what')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {changes.map((c, i) => {
          const g = changeGroup(c.kind);
          return (
            <Table.Tr key={i}>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <Badge color={groupColor[g]} variant="light">
                    {t(`model.apply.group.${g}`)}
                  </Badge>
                  {c.destructive && (
                    <Badge color="red" variant="filled">
                      {t('model.apply.destructive')}
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>{c.entity}</Table.Td>
              <Table.Td>{c.attribute}</Table.Td>
              <Table.Td>
                <Text size="sm">{c.description}</Text>
                {c.loss && (
                  <Text size="sm" c="red.9" fw={600}>
                    {c.loss}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

/** ConfirmLoss asks before a destructive apply: it lists each loss, and
 * applying waits for a tick on a box whose label names them again. */
function ConfirmLoss(props: { opened: boolean; changes: Change[]; pending: boolean; error?: string; onCancel: () => void; onConfirm: () => void }) {
  const { t } = useTranslation();
  const [ticked, setTicked] = useState(false);
  const close = () => {
    setTicked(false);
    props.onCancel();
  };
  const losses = props.changes.map((c) => (c.loss ? `${c.description} (${c.loss})` : c.description)).join('; ');
  return (
    <Modal closeButtonProps={{ 'aria-label': t('model.close') }} opened={props.opened} onClose={close} title={t('model.confirm.title')} size="lg">
      <Stack>
        <Text>{t('model.confirm.intro', { count: props.changes.length })}</Text>
        <List spacing="xs" aria-label={t('model.confirm.losses')}>
          {props.changes.map((c, i) => (
            <List.Item key={i}>
              <Text span fw={600}>
                {c.description}
              </Text>
              {c.loss ? `: ${c.loss}` : ''}
            </List.Item>
          ))}
        </List>
        <Checkbox checked={ticked} onChange={(e) => setTicked(e.currentTarget.checked)} label={t('model.confirm.accept', { losses })} />
        {props.error && (
          <Alert color="red" role="alert">
            {props.error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {t('model.confirm.cancel')}
          </Button>
          <Button
            color="red"
            disabled={!ticked}
            loading={props.pending}
            onClick={() => {
              setTicked(false);
              props.onConfirm();
            }}
          >
            {t('model.confirm.apply')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
