import { useEffect, useMemo, useState } from 'react';
import YAML from 'yaml';
import { api, type ErrorBody } from '../../api/client';
import type { Content } from '../../messages/content';
import type { CampaignDoc } from '../doc';
import { lineOf, type TemplateError } from './liquid';

/** PREVIEW_DEBOUNCE_MS: typing in a template pauses this long before the
 * message is rendered again (a render reads the profile and its linked
 * rows: longer than a count's pause). */
export const PREVIEW_DEBOUNCE_MS = 350;

/** A rendered message (the preview endpoint's answer). */
export interface Rendered extends Content {
  id?: string;
  channel?: string;
  to?: string;
}

export interface Preview {
  message?: Rendered;
  /** Template errors by field. */
  errors?: Record<string, TemplateError[]>;
  /** Another failure (no such profile, a server error). */
  error?: string;
  pending: boolean;
  /** The key of the request the answer is for. */
  key?: string;
}

/** readErrors reads a failed render's problems: `{field, message}` today,
 * `{path, line, message}` (the draft's contract); each by the field it
 * names, at its line. */
export function readErrors(details: unknown, id: string): Record<string, TemplateError[]> | undefined {
  if (!Array.isArray(details)) return undefined;
  const out: Record<string, TemplateError[]> = {};
  for (const d of details as { field?: string; path?: string; line?: number; message?: string }[]) {
    if (!d || typeof d.message !== 'string') continue;
    let field = d.field;
    if (!field && d.path) {
      const prefix = `activities.${id}.`;
      field = d.path.startsWith(prefix) ? d.path.slice(prefix.length) : d.path;
    }
    field = (field ?? '').split(/[.[]/)[0] ?? '';
    (out[field] ??= []).push({ message: d.message, line: lineOf(d.message) ?? d.line });
  }
  return out;
}

/** usePreview renders a channel activity for one profile (POST
 * /api/campaigns/{name}/activities/{id}/preview with the document being
 * edited): debounced, superseded renders aborted. */
export function usePreview(campaign: string, id: string, doc: CampaignDoc, key: unknown[] | undefined): Preview {
  const [state, setState] = useState<Omit<Preview, 'pending'>>({});
  // The layout never changes a message: moving an activity renders nothing again.
  const document = useMemo(() => {
    const { layout: _, ...rest } = doc; // eslint-disable-line @typescript-eslint/no-unused-vars -- left out
    return YAML.stringify(rest);
  }, [doc]);
  const reqKey = key ? JSON.stringify({ campaign, id, key, document }) : '';
  useEffect(() => {
    if (reqKey === '') return;
    const ctrl = new AbortController();
    const timer = setTimeout(async () => {
      const req = JSON.parse(reqKey) as { campaign: string; id: string; key: unknown[]; document: string };
      try {
        const { data, error, response } = await api.POST('/api/campaigns/{name}/activities/{activity}/preview', {
          params: { path: { name: req.campaign, activity: req.id } },
          body: { key: req.key, document: req.document },
          signal: ctrl.signal,
        });
        if (ctrl.signal.aborted) return;
        if (data) {
          setState({ key: reqKey, message: data as Rendered });
          return;
        }
        const body = error as Partial<ErrorBody> | undefined;
        const errors = readErrors(body?.error?.details, req.id);
        if (errors && Object.keys(errors).length > 0 && (response.status === 400 || response.status === 422)) setState((s) => ({ key: reqKey, errors, message: s.message }));
        else setState({ key: reqKey, error: body?.error?.message ?? response.statusText });
      } catch (err) {
        if (!ctrl.signal.aborted) setState({ key: reqKey, error: (err as Error).message });
      }
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [reqKey]);
  return { ...state, pending: reqKey !== '' && state.key !== reqKey };
}
