import { Alert, Button, Group, List, Loader, Modal, Paper, Stack, Text, Textarea } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../../api/client';
import { entity, useModel, type Model } from '../../audiences/tree/model';
import { normalize, toWire, walk, type Node } from '../../audiences/tree/node';
import { missing } from '../../audiences/tree/operators';
import { RuleTree } from '../../audiences/tree/RuleTree';
import { usePanel } from './context';
import { useErrors } from './SchemaForm';
import { getIn, type Path } from './schema';
import { useQueryCheck } from './useQueryCheck';

interface Props {
  path: Path;
  label: string;
  description?: string;
  /** The entity the query selects rows of. */
  dimension?: string;
  required?: boolean;
  /** The activity's JSON tree (`where` beside `query`), replaced by the
   * text the builder writes. */
  tree?: Path;
}

/** QueryField edits a query setting as text, checked as it is typed
 * (POST /api/audiences/validate, the campaign's variables as its
 * parameters), with the audience builder's rule tree in a dialog that
 * writes the text back. */
export function QueryField({ path, label, description, dimension, required, tree }: Props) {
  const { t } = useTranslation();
  const env = usePanel();
  const error = useErrors(path);
  const raw = getIn(env.activity, path);
  const text = typeof raw === 'string' ? raw : '';
  const treeValue = tree ? getIn(env.activity, tree) : undefined;
  const params = env.doc.variables && Object.keys(env.doc.variables).length > 0 ? env.doc.variables : undefined;
  const check = useQueryCheck(text.trim() ? { text, dimension, params } : undefined);
  const [open, setOpen] = useState(false);
  const own = check.pending ? undefined : check.problems?.map((p) => p.message).join(' · ');
  return (
    <Stack gap={4}>
      <Textarea
        label={label}
        description={description}
        value={text}
        onChange={(e) => env.set(path, e.currentTarget.value)}
        error={error ?? own ?? check.error}
        placeholder={treeValue !== undefined ? t('panel.query.treeKept') : undefined}
        withAsterisk={required}
        autosize
        minRows={2}
        spellCheck={false}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <Group gap="xs">
        <Button size="xs" variant="light" onClick={() => setOpen(true)} aria-haspopup="dialog">
          {t('panel.query.open')}
        </Button>
        {check.pending && <Loader size="xs" role="status" aria-label={t('panel.query.checking')} />}
        {!check.pending && check.text !== undefined && !check.problems && (
          <Text size="xs" c="dimmed">
            {t('panel.query.valid')}
          </Text>
        )}
      </Group>
      {open && (
        <BuilderDialog
          label={label}
          text={text}
          initialTree={treeValue as Node | undefined}
          dimension={dimension}
          params={params}
          onClose={() => setOpen(false)}
          onApply={(next) => {
            env.set(path, next);
            if (tree && treeValue !== undefined) env.set(tree, undefined);
            setOpen(false);
          }}
        />
      )}
    </Stack>
  );
}

interface DialogProps {
  label: string;
  text: string;
  initialTree?: Node;
  dimension?: string;
  params?: Record<string, unknown>;
  onClose: () => void;
  onApply: (text: string) => void;
}

/** BuilderDialog is the audience builder's rule tree over the query's
 * dimension: the text is read into the tree when it opens, the tree's
 * text is written back on Apply. */
function BuilderDialog({ label, text, initialTree, dimension, params, onClose, onApply }: DialogProps) {
  const { t } = useTranslation();
  const model = useModel();
  const audiences = useQuery({
    queryKey: ['audiences'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/audiences', { signal });
      if (error) throw new Error(errorMessage(error));
      return data.audiences ?? [];
    },
  });
  const names = useMemo(() => (audiences.data ?? []).map((a) => a.name), [audiences.data]);
  // The text is read into a tree once; until then (or when it cannot be
  // read) the tree starts empty and says why.
  const read = useQueryCheck(initialTree === undefined && text.trim() ? { text, dimension, params } : undefined);
  const [tree, setTree] = useState<Node | undefined>(() => (initialTree !== undefined ? normalize(initialTree) : text.trim() ? undefined : normalize(null)));
  const [readFailed, setReadFailed] = useState(false);
  if (tree === undefined && !read.pending && read.key !== undefined) {
    if (read.where !== undefined) setTree(normalize(read.where));
    else {
      setReadFailed(true);
      setTree(normalize(null));
    }
  }
  const change = useCallback((fn: (n: Node) => Node) => setTree((cur) => fn(cur ?? normalize(null))), []);
  const incomplete = useMemo(() => {
    let lacks = false;
    if (tree) walk(tree, (n) => (lacks ||= missing(n) !== undefined));
    return lacks;
  }, [tree]);
  const wire = tree ? toWire(tree) : undefined;
  const printed = useQueryCheck(wire && !incomplete ? { where: wire, dimension, params } : undefined);
  const scoped: Model | undefined = useMemo(() => {
    if (!model.data) return undefined;
    return { ...model.data, dimension: entity(model.data, dimension) ?? model.data.dimension };
  }, [model.data, dimension]);
  const ready = !printed.pending && printed.text !== undefined && !printed.problems && !incomplete;
  return (
    <Modal closeButtonProps={{ 'aria-label': t('panel.close') }} opened onClose={onClose} size="xl" title={t('panel.query.dialogTitle', { field: label })}>
      <Stack>
        {readFailed && <Alert color="yellow">{t('panel.query.unreadable')}</Alert>}
        {(model.isPending || !tree) && <Loader size="sm" role="status" aria-label={t('app.loading')} />}
        {model.error && <Alert color="red">{t('app.error', { message: model.error.message })}</Alert>}
        {scoped && tree && <RuleTree tree={tree} onChange={change} model={scoped} audiences={names} problems={printed.pending ? undefined : printed.problems} />}
        <Paper withBorder p="xs">
          <Text size="xs" c="dimmed">
            {t('panel.query.asText')}
          </Text>
          <Text ff="monospace" size="sm" data-testid="builder-text" style={{ whiteSpace: 'pre-wrap' }}>
            {incomplete ? t('tree.incomplete') : (printed.text ?? '…')}
          </Text>
        </Paper>
        {printed.problems && printed.problems.length > 0 && (
          <Alert color="red" title={t('builder.problems')}>
            <List size="sm">
              {printed.problems.map((p, i) => (
                <List.Item key={i}>{t('builder.problemAt', { path: p.path, message: p.message })}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('panel.cancel')}
          </Button>
          <Button disabled={!ready} onClick={() => printed.text !== undefined && onApply(printed.text)}>
            {t('panel.query.apply')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
