import { Button, Collapse, Grid, Modal, Paper, SegmentedControl, Stack, Text } from '@mantine/core';
import { useCallback, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useModel } from '../../audiences/tree/model';
import { usePanel } from './context';
import { rowsDimension } from './dimension';
import { InsertContext, LiquidCode, LiquidInput, useInserter, type InsertTarget } from './liquid';
import { Picker, picks } from './Picker';
import { EmailPreview, PreviewState, ProfileChooser, Proof, PushPreview, Segments, SmsPreview, typedKey } from './Preview';
import { Field, Fields, useLabel } from './SchemaForm';
import type { JSONSchema } from './schema';
import { usePreview } from './usePreview';

/** The content fields of each channel, edited as templates; the others
 * (delivery options) come from the schema's form. */
const content: Record<string, string[]> = {
  email: ['from', 'reply_to', 'subject', 'preheader', 'html', 'text'],
  sms: ['from', 'text'],
  push: ['title', 'body', 'image', 'deep_link', 'data', 'ios', 'android'],
};

const [HTML, TEXT, FROM, TITLE, BODY] = ['html', 'text', 'from', 'title', 'body'];
const emailHeaders = ['from', 'reply_to', 'subject', 'preheader'];
const pushLinks = ['image', 'deep_link'];
const pushOptions = ['data', 'ios', 'android'];

/** MessageEditor edits a channel activity's message: its template fields,
 * a personalisation picker inserting Liquid at the cursor, a live preview
 * for a chosen profile (the document being edited, rendered by the
 * server), and proofs. */
export function MessageEditor({ schema, runId }: { schema: JSONSchema; runId?: number }) {
  const { t } = useTranslation();
  const env = usePanel();
  // Shared by both layouts: the profile previewed stays as the editor widens.
  const [keyTexts, setKeyTexts] = useState<string[]>([]);
  const [wide, setWide] = useState(false);
  const body = { schema, runId, keyTexts, setKeyTexts };
  return (
    <Stack gap="sm">
      <Button variant="light" size="xs" onClick={() => setWide(true)} aria-haspopup="dialog">
        {t('panel.message.widen')}
      </Button>
      {wide ? (
        <>
          <Text size="sm" c="dimmed">
            {t('panel.message.inWide')}
          </Text>
          <Modal
            opened
            onClose={() => setWide(false)}
            fullScreen
            title={t('panel.message.wideTitle', { id: env.id, type: t(`panel.type.${env.activity.type}`, { defaultValue: env.activity.type }) })}
            closeButtonProps={{ 'aria-label': t('panel.close') }}
          >
            <MessageBody {...body} wide />
          </Modal>
        </>
      ) : (
        <MessageBody {...body} wide={false} />
      )}
    </Stack>
  );
}

interface BodyProps {
  schema: JSONSchema;
  runId?: number;
  keyTexts: string[];
  setKeyTexts: (k: string[]) => void;
  /** Fields, picker and preview side by side (a full-screen dialog), or
   * one under the other (the side panel). */
  wide: boolean;
}

function MessageBody({ schema, runId, keyTexts, setKeyTexts, wide }: BodyProps) {
  const { t } = useTranslation();
  const label = useLabel();
  const env = usePanel();
  const channel = env.activity.type;
  const model = useModel();
  const dim = useMemo(() => (model.data ? rowsDimension(model.data, env.doc, env.id) : undefined), [model.data, env.doc, env.id]);
  const profile = typedKey(dim, keyTexts);
  const preview = usePreview(env.campaign, env.id, env.doc, profile);
  const errors = preview.pending ? undefined : preview.errors;
  const body = useRef<InsertTarget | undefined>(undefined);
  const onBody = useCallback((tg: InsertTarget) => {
    body.current = tg;
  }, []);
  const inserter = useInserter(() => body.current);
  const items = useMemo(() => picks(model.data, dim, env.doc, env.id, channel), [model.data, dim, env.doc, env.id, channel]);
  const paths = useMemo(() => items.filter((p) => !p.snippet.startsWith('{%') || p.label.includes('.')).map((p) => p.label), [items]);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const [textMode, setTextMode] = useState<'derived' | 'written'>(typeof env.activity.text === 'string' && env.activity.text !== '' ? 'written' : 'derived');
  const props = schema.properties ?? {};
  const required = (f: string) => schema.required?.includes(f) ?? false;
  const fields = content[channel] ?? [];
  const a = env.activity;
  // A preview has no run: the enrichment columns render empty (docs/delivery.md).
  const usesTarget = Object.values(a).some((v) => typeof v === 'string' && v.includes('target.'));
  const stale = preview.pending || !!preview.errors || !!preview.error;

  const input = (f: string, multiline = false) =>
    props[f] && (
      <LiquidInput
        key={f}
        field={f}
        label={label(f)}
        description={props[f].description}
        required={required(f)}
        multiline={multiline}
        errors={errors?.[f]}
        onTarget={multiline ? onBody : undefined}
      />
    );

  const fieldsPart = (
    <>
      {channel === 'email' && (
        <>
          {emailHeaders.map((f) => input(f))}
          <LiquidCode field="html" label={label(HTML)} description={t('panel.email.htmlHelp')} errors={errors?.html} onTarget={onBody} paths={paths} />
          {props.text && (
            <Stack gap={4}>
              <SegmentedControl
                size="xs"
                value={textMode}
                onChange={(v) => {
                  if (v === 'derived') env.set([TEXT], undefined);
                  setTextMode(v as 'derived' | 'written');
                }}
                data={[
                  { value: 'derived', label: t('panel.email.derived') },
                  { value: 'written', label: t('panel.email.written') },
                ]}
                aria-label={t('panel.email.textPart')}
              />
              {textMode === 'written' ? (
                <LiquidInput field="text" label={label(TEXT)} description={t('panel.email.textHelp')} multiline errors={errors?.text} />
              ) : (
                <Text size="xs" c="dimmed">
                  {t('panel.email.derivedHelp')}
                </Text>
              )}
            </Stack>
          )}
        </>
      )}
      {channel === 'sms' && (
        <>
          {input(FROM)}
          {input(TEXT, true)}
          <Segments text={typeof a.text === 'string' ? a.text : ''} label={t('panel.sms.written')} testId="segments-written" />
        </>
      )}
      {channel === 'push' && (
        <>
          {input(TITLE)}
          {input(BODY, true)}
          {pushLinks.map((f) => input(f))}
          {pushOptions.map((f) => props[f] && <Field key={f} name={f} schema={props[f]} path={[f]} required={required(f)} />)}
        </>
      )}
      <Paper withBorder p="xs">
        <Button variant="subtle" size="compact-sm" onClick={() => setOptionsOpen((o) => !o)} aria-expanded={optionsOpen} aria-controls="message-options">
          {optionsOpen ? t('panel.message.hideOptions') : t('panel.message.showOptions')}
        </Button>
        <Collapse expanded={optionsOpen} id="message-options">
          <Stack mt="xs">
            <Fields schema={schema} path={[]} omit={fields} />
          </Stack>
        </Collapse>
      </Paper>
    </>
  );
  const previewPart = (
    <>
      <Paper withBorder p="xs" component="section" aria-labelledby="preview-title" aria-busy={preview.pending}>
        <Text fw={600} size="sm" id="preview-title" mb={4}>
          {t('panel.preview.title')}
        </Text>
        <Stack gap="xs">
          <ProfileChooser dim={dim} doc={env.doc} id={env.id} runId={runId} value={keyTexts} onChange={setKeyTexts} />
          {!profile && (
            <Text size="xs" c="dimmed">
              {t('panel.preview.choose')}
            </Text>
          )}
          {usesTarget && (
            <Text size="xs" c="dimmed">
              {t('panel.preview.noTarget')}
            </Text>
          )}
          <PreviewState pending={preview.pending} error={preview.error} />
          {errors && (
            <Text size="sm" c="red.8" role="alert" data-testid="preview-errors">
              {Object.entries(errors)
                .flatMap(([f, es]) => es.map((e) => t('panel.preview.errorAt', { field: label(f || channel), message: e.message })))
                .join(' · ')}
            </Text>
          )}
          {preview.message && channel === 'email' && <EmailPreview message={preview.message} stale={stale} />}
          {preview.message && channel === 'sms' && <SmsPreview message={preview.message} stale={stale} />}
          {preview.message && channel === 'push' && <PushPreview message={preview.message} stale={stale} />}
        </Stack>
      </Paper>
      <Proof campaign={env.campaign} id={env.id} doc={env.doc} profile={profile} channel={channel} />
    </>
  );
  return (
    <InsertContext.Provider value={inserter}>
      {wide ? (
        <Grid>
          <Grid.Col span={5}>
            <Stack gap="sm">{fieldsPart}</Stack>
          </Grid.Col>
          <Grid.Col span={2}>
            <Picker items={items} height={600} />
          </Grid.Col>
          <Grid.Col span={5}>
            <Stack gap="sm">{previewPart}</Stack>
          </Grid.Col>
        </Grid>
      ) : (
        <Stack gap="sm">
          {fieldsPart}
          <Picker items={items} />
          {previewPart}
        </Stack>
      )}
    </InsertContext.Provider>
  );
}
