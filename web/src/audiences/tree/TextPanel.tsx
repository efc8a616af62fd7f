import { Alert, Button, Collapse, Group, List, Paper, Text, Textarea } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { normalize, type Node } from './node';
import { useValidate } from './useValidate';

interface Props {
  /** The server's text of the current tree (undefined while unknown). */
  text?: string;
  /** A text to read first (the address's ?q=), not yet the tree's. */
  initial?: string;
  /** Set the tree from a text the server read. */
  onTree: (tree: Node) => void;
  open: boolean;
  onToggle: () => void;
  /** The tree has problems: the text shown is its last valid form. */
  behind: boolean;
  /** Counts the edits made in the tree: one replaces a text being read. */
  edits: number;
  /** The text has edits the tree does not have yet (the builder's state:
   * its count is not the text's meanwhile). */
  dirty: boolean;
  onDirty: (d: boolean) => void;
  /** Each text typed (the builder keeps it in its draft until read). */
  onTyped?: (text: string) => void;
}

/** TextPanel shows the tree in the text syntax and takes edits to it: a
 * text the server reads replaces the tree; one it cannot read keeps the
 * tree as it was and says why. While the text has the focus it is the
 * user's; the tree's text replaces it when the tree changes elsewhere. */
export function TextPanel({ text, initial, onTree, open, onToggle, behind, edits, dirty, onDirty: setDirty, onTyped }: Props) {
  const { t } = useTranslation();
  const [buffer, setBuffer] = useState(initial ?? text ?? '');
  const focused = useRef(false);
  // The tree's edit count when the text was last typed in.
  const typedAt = useRef(edits);
  const request = dirty ? { text: buffer.trim() === '' ? 'all' : buffer } : undefined;
  const read = useValidate(request, (r) => {
    onTree(normalize(r.where));
    setDirty(false);
  });
  const current = read.key === JSON.stringify(request);

  useEffect(() => {
    if (text === undefined || focused.current) return;
    if (dirty && edits === typedAt.current) return; // the text is still being read
    setBuffer(text);
    setDirty(false);
  }, [text, edits]); // eslint-disable-line react-hooks/exhaustive-deps -- dirty is read, not followed

  const problems = dirty && current ? read.problems : undefined;
  const syntax = problems?.find((p) => p.path === 'text' || p.path === '');
  const others = problems?.filter((p) => p !== syntax) ?? [];

  return (
    <Paper withBorder p="sm" component="section" aria-labelledby="text-title">
      <Group justify="space-between">
        <Text fw={600} id="text-title">
          {t('tree.textTitle')}
        </Text>
        <Button variant="subtle" size="compact-sm" onClick={onToggle} aria-expanded={open} aria-controls="text-panel">
          {open ? t('tree.hideText') : t('tree.showText')}
        </Button>
      </Group>
      <Collapse expanded={open} id="text-panel">
        <Textarea
          mt="xs"
          label={t('builder.query')}
          description={t('builder.queryHelp')}
          value={buffer}
          onFocus={() => (focused.current = true)}
          onBlur={() => {
            focused.current = false;
            if (!dirty && text !== undefined) setBuffer(text);
          }}
          onChange={(e) => {
            setBuffer(e.currentTarget.value);
            onTyped?.(e.currentTarget.value);
            setDirty(true);
            typedAt.current = edits;
          }}
          error={syntax?.message}
          autosize
          minRows={4}
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        {others.length > 0 && (
          <Alert color="red" mt="xs" title={t('tree.textProblems')}>
            <List size="sm">
              {others.map((p, i) => (
                <List.Item key={i}>{t('builder.problemAt', { path: p.path, message: p.message })}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {(syntax || others.length > 0) && (
          <Text size="xs" c="dimmed" mt={4}>
            {t('tree.treeKept')}
          </Text>
        )}
        {behind && !dirty && (
          <Text size="xs" c="dimmed" mt={4}>
            {t('tree.textBehind')}
          </Text>
        )}
        {read.error && dirty && (
          <Text size="sm" c="red.8" mt={4}>
            {t('builder.failed', { message: read.error })}
          </Text>
        )}
      </Collapse>
    </Paper>
  );
}
