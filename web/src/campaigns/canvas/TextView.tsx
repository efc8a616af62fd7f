// Loaded on demand: CodeMirror stays out of the canvas's first load.
import { yaml } from '@codemirror/lang-yaml';
import { unifiedMergeView } from '@codemirror/merge';
import { Alert, Group, Switch, Text } from '@mantine/core';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

// Deleted text readable (axe's color-contrast): dark red on light red, the
// syntax colours left out of it.
const diffTheme = EditorView.theme({
  '&.cm-merge-b .cm-deletedText, &.cm-merge-b .cm-deletedText *': { color: '#7a1010', background: '#ffe3e3' },
});

interface Props {
  text: string;
  onChange: (text: string) => void;
  /** Why the text does not parse, if it does not. */
  parseError?: string;
  /** The saved version's text to compare with, and its number. */
  base?: { text: string; version: number; published: boolean };
}

/** TextView shows the document as YAML and takes edits: the canvas follows
 * a text that parses; one that does not stays as typed (and is autosaved)
 * with the parse error shown. It can mark the changes against a version. */
export default function TextView({ text, onChange, parseError, base }: Props) {
  const { t } = useTranslation();
  const [diff, setDiff] = useState(false);
  const original = diff ? base?.text : undefined;
  const extensions = useMemo(
    () => [yaml(), EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': t('canvas.yamlLabel'), tabindex: '0' }), ...(original !== undefined ? [unifiedMergeView({ original, mergeControls: false }), diffTheme] : [])],
    [original, t],
  );
  return (
    <>
      <Group justify="space-between" px="xs" py={4}>
        {base ? (
          <Switch size="sm" checked={diff} onChange={(e) => setDiff(e.currentTarget.checked)} label={t(base.published ? 'canvas.diffPublished' : 'canvas.diff', { version: base.version })} />
        ) : (
          <Text size="xs" c="dimmed">
            {t('canvas.noVersion')}
          </Text>
        )}
      </Group>
      {parseError && (
        <Alert color="orange" py={6} mx="xs" mb={4} title={t('canvas.parseError')} data-testid="parse-error">
          {parseError}
        </Alert>
      )}
      <CodeMirror value={text} onChange={onChange} extensions={extensions} height="100%" style={{ height: '100%', overflow: 'auto', fontSize: 13 }} data-testid="yaml-editor" />
    </>
  );
}
