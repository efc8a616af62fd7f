import { html } from '@codemirror/lang-html';
import { liquid } from '@codemirror/lang-liquid';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { Input, Textarea, TextInput, useComputedColorScheme } from '@mantine/core';
import CodeMirror from '@uiw/react-codemirror';
import { createContext, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { usePanel } from './context';
import { useErrors } from './SchemaForm';
import { getIn, type Path } from './schema';

/** An insertion point: the field the personalisation picker writes into,
 * at its cursor. */
export interface InsertTarget {
  field: string;
  insert: (snippet: string) => void;
}

/** The message editor's fields register the one last focused; the picker
 * inserts there. */
export interface Inserter {
  focus: (t: InsertTarget) => void;
  current: () => InsertTarget | undefined;
}

export const InsertContext = createContext<Inserter | null>(null);

/** useInserter makes the message editor's insertion registry: the last
 * focused field, else the fallback (the body). */
export function useInserter(fallback: () => InsertTarget | undefined): Inserter {
  const last = useRef<InsertTarget | undefined>(undefined);
  const fb = useRef(fallback);
  useEffect(() => {
    fb.current = fallback;
  });
  return useMemo(() => ({ focus: (t) => (last.current = t), current: () => last.current ?? fb.current() }), []);
}

/** lineOf reads the line a template error names (`line 2: …`). */
export function lineOf(message: string): number | undefined {
  const m = /^line (\d+):/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** A template error of a field, at its line when known. */
export interface TemplateError {
  line?: number;
  message: string;
}

interface InputProps {
  field: string;
  label: string;
  description?: string;
  required?: boolean;
  multiline?: boolean;
  /** Errors of the last preview on this field. */
  errors?: TemplateError[];
  /** Registers this field's insertion point as the fallback (the body). */
  onTarget?: (t: InsertTarget) => void;
}

/** LiquidInput edits a one-line (or short) template field; the picker
 * inserts at its cursor once it had the focus. */
export function LiquidInput({ field, label, description, required, multiline, errors, onTarget }: InputProps) {
  const env = usePanel();
  const ins = useContext(InsertContext);
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const path: Path = [field];
  const value = getIn(env.activity, path);
  const text = typeof value === 'string' ? value : '';
  const docError = useErrors(path);
  const error = [docError, ...(errors ?? []).map((e) => e.message)].filter(Boolean).join(' · ') || undefined;
  const latest = useRef(text);
  const touched = useRef(false);
  useEffect(() => {
    latest.current = text;
  });
  const target: InsertTarget = {
    field,
    insert: (snippet) => {
      const el = ref.current;
      const cur = latest.current;
      // Never focused: its cursor means nothing yet, the end is taken.
      const start = touched.current ? (el?.selectionStart ?? cur.length) : cur.length;
      const end = touched.current ? (el?.selectionEnd ?? cur.length) : cur.length;
      env.set(path, cur.slice(0, start) + snippet + cur.slice(end));
      requestAnimationFrame(() => {
        el?.focus();
        el?.setSelectionRange(start + snippet.length, start + snippet.length);
      });
    },
  };
  useEffect(() => {
    onTarget?.(target);
  });
  const common = {
    label,
    description,
    value: text,
    withAsterisk: required,
    error,
    spellCheck: false,
    onFocus: () => {
      touched.current = true;
      ins?.focus(target);
    },
    'data-field': field,
  };
  return multiline ? (
    <Textarea ref={ref} {...common} onChange={(e) => env.set(path, e.currentTarget.value)} autosize minRows={3} maxRows={12} />
  ) : (
    <TextInput ref={ref} {...common} onChange={(e) => env.set(path, e.currentTarget.value)} />
  );
}

/** Trie is the paths a template can name, by step (profile → first_name). */
type Trie = Map<string, Trie>;

/** completions makes the Liquid completion of the paths the picker lists:
 * the names at the top (profile, target, vars…), then each one's
 * properties as `profile.` is typed. */
export function completions(paths: string[]) {
  const root: Trie = new Map();
  for (const p of paths) {
    let node = root;
    for (const step of p.split('.')) {
      if (!node.has(step)) node.set(step, new Map());
      node = node.get(step)!;
    }
  }
  const list = (n: Trie | undefined) => [...(n?.keys() ?? [])].map((label) => ({ label, type: 'variable' }));
  return {
    variables: list(root),
    properties: (path: readonly string[]) => {
      let node: Trie | undefined = root;
      for (const step of path) node = node?.get(step);
      return list(node);
    },
  };
}

interface CodeProps {
  field: string;
  label: string;
  description?: string;
  required?: boolean;
  errors?: TemplateError[];
  /** Registers this editor's insertion point as the fallback. */
  onTarget?: (t: InsertTarget) => void;
  /** The paths its completion offers (the picker's). */
  paths?: string[];
}

/** LiquidCode edits an HTML template with Liquid highlighting (CodeMirror);
 * its template errors show at their line, as lint diagnostics. */
export function LiquidCode({ field, label, description, required, errors, onTarget, paths }: CodeProps) {
  const env = usePanel();
  const ins = useContext(InsertContext);
  const scheme = useComputedColorScheme('light');
  const [view, setView] = useState<EditorView | null>(null);
  const [touched, setTouched] = useState(false);
  const path: Path = useMemo(() => [field], [field]);
  const value = getIn(env.activity, path);
  const text = typeof value === 'string' ? value : '';
  const docError = useErrors(path);
  const id = `code-${field}`;
  const target = useMemo<InsertTarget>(
    () => ({
      field,
      insert: (snippet) => {
        const v = view;
        if (!v) return;
        // Never focused: its cursor means nothing yet, the end is taken.
        const { from, to } = touched ? v.state.selection.main : { from: v.state.doc.length, to: v.state.doc.length };
        v.dispatch({ changes: { from, to, insert: snippet }, selection: { anchor: from + snippet.length } });
        v.focus();
      },
    }),
    [field, view, touched],
  );
  useEffect(() => {
    onTarget?.(target);
  }, [onTarget, target]);
  const pathsKey = (paths ?? []).join('\n');
  const extensions = useMemo(
    () => [
      liquid({ base: html(), ...completions(pathsKey ? pathsKey.split('\n') : []) }),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-labelledby': `${id}-label`, 'aria-multiline': 'true' }),
      EditorView.domEventHandlers({
        focus: () => {
          setTouched(true);
          ins?.focus(target);
        },
      }),
    ],
    [id, ins, target, pathsKey],
  );
  const all = useMemo(() => {
    const out: TemplateError[] = [...(errors ?? [])];
    if (docError) for (const m of docError.split(' · ')) out.push({ message: m, line: lineOf(m) });
    return out;
  }, [errors, docError]);
  // The errors as diagnostics, at their line (the whole line).
  useEffect(() => {
    const v = view;
    if (!v) return;
    const doc = v.state.doc;
    const diags: Diagnostic[] = all.map((e) => {
      const line = doc.line(Math.min(Math.max(e.line ?? 1, 1), doc.lines));
      return { from: line.from, to: Math.max(line.to, line.from), severity: 'error', message: e.message };
    });
    v.dispatch(setDiagnostics(v.state, diags));
  }, [all, text, view]);
  const message = all.map((e) => (e.line !== undefined && !/^line \d+:/.test(e.message) ? `line ${e.line}: ${e.message}` : e.message)).join(' · ');
  return (
    <Input.Wrapper label={label} description={description} withAsterisk={required} error={message || undefined} id={`${id}-wrapper`} labelProps={{ id: `${id}-label`, htmlFor: undefined }}>
      <div data-field={field} data-testid={id} style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 4, marginTop: 4 }}>
        <CodeMirror
          value={text}
          onChange={(v) => env.set(path, v)}
          extensions={extensions}
          theme={scheme === 'dark' ? 'dark' : 'light'}
          minHeight="200px"
          maxHeight="480px"
          onCreateEditor={setView}
          basicSetup={{ foldGutter: false, highlightActiveLine: false }}
          indentWithTab={false}
        />
      </div>
    </Input.Wrapper>
  );
}
