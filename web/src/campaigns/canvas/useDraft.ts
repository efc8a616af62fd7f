import { useCallback, useEffect, useRef, useState } from 'react';
import { APIError } from '../../api/client';
import { getDraft, putDraft, type Draft } from './draftApi';

export type SaveStatus = 'saved' | 'saving' | 'unsaved' | 'conflict' | 'error';

const AUTOSAVE_MS = 1000;

/** useDraft autosaves the document's text as the campaign's working draft
 * (PUT …/draft with the revision it read, a second after the last edit),
 * whether it parses or not: no edit is lost. Someone else's save meanwhile
 * (409 stale_draft) stops the autosave until the user chooses: take their
 * draft, or overwrite it. */
export function useDraft(name: string, text: string, initial: Draft) {
  const [revision, setRevision] = useState(initial.revision);
  const [saved, setSaved] = useState<string>(initial.document);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const inflight = useRef<Promise<void> | undefined>(undefined);
  const rev = useRef(initial.revision);

  /** loaded records a draft read again (theirs, after a conflict). */
  const loaded = useCallback((d: Draft) => {
    rev.current = d.revision;
    setRevision(d.revision);
    setSaved(d.document);
    setConflict(undefined);
    setError(undefined);
  }, []);

  const put = useCallback(
    async (doc: string) => {
      setSaving(true);
      try {
        const d = await putDraft(name, doc, rev.current);
        rev.current = d.revision;
        setRevision(d.revision);
        setSaved(doc);
        setError(undefined);
      } catch (err) {
        if (err instanceof APIError && err.status === 409 && err.reason === 'stale_draft') {
          setConflict(err.message);
        } else {
          setError((err as Error).message);
        }
        throw err;
      } finally {
        setSaving(false);
      }
    },
    [name],
  );

  const dirty = text !== saved;
  const status: SaveStatus = conflict ? 'conflict' : saving ? 'saving' : error ? 'error' : dirty ? 'unsaved' : 'saved';
  useEffect(() => {
    if (!dirty || conflict) return;
    const timer = setTimeout(() => {
      const run = (inflight.current ?? Promise.resolve()).then(() => put(text)).catch(() => undefined);
      inflight.current = run;
    }, AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [dirty, conflict, text, put]);

  // Leaving before the autosave's second must not lose the edit (its
  // timer was cleared with the page): leaving the canvas for another page
  // of the console saves it at once, after a save in flight; the page's
  // unload (a reload, the tab closed) sends it with keepalive.
  const latest = useRef({ text, pending: false });
  useEffect(() => {
    latest.current = { text, pending: dirty && !conflict };
  });
  useEffect(() => {
    const unload = () => {
      const l = latest.current;
      if (!l.pending) return;
      latest.current = { ...l, pending: false };
      void putDraft(name, l.text, rev.current, true).catch(() => undefined);
    };
    window.addEventListener('pagehide', unload);
    return () => {
      window.removeEventListener('pagehide', unload);
      const l = latest.current;
      if (l.pending) void (inflight.current ?? Promise.resolve()).then(() => put(l.text)).catch(() => undefined);
    };
  }, [name, put]);

  /** flush saves the text now if it has unsaved edits. */
  const flush = useCallback(async () => {
    await inflight.current;
    if (text !== saved) await put(text);
  }, [text, saved, put]);

  /** reloadTheirs reads the stored draft and answers it (it replaces ours). */
  const reloadTheirs = useCallback(async () => {
    const d = await getDraft(name);
    loaded(d);
    return d.document;
  }, [name, loaded]);

  /** overwrite stores our text over theirs (their revision read first). */
  const overwrite = useCallback(async () => {
    const d = await getDraft(name);
    rev.current = d.revision;
    setConflict(undefined);
    await put(text);
  }, [name, text, put]);

  /** versioned records that the draft became a version (no draft stored). */
  const versioned = useCallback((doc: string) => {
    rev.current = 0;
    setRevision(0);
    setSaved(doc);
  }, []);

  return { revision, rev, status, conflict, error, dirty, loaded, flush, reloadTheirs, overwrite, versioned };
}
