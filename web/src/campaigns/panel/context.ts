import { createContext, useContext, type ReactNode } from 'react';
import type { Activity, CampaignDoc } from '../doc';
import type { JSONSchema, Path } from './schema';

/** A problem of the activity, its path read inside the activity. */
export interface FieldProblem {
  rel: string;
  message: string;
  line?: number;
}

/** What every field of the panel needs: the activity and the one way to
 * change it (a value set at a path), the document around it, the
 * problems by path, and the fields with an editor of their own. */
export interface PanelEnv {
  campaign: string;
  id: string;
  doc: CampaignDoc;
  activity: Activity;
  set: (path: Path, value: unknown) => void;
  problems: FieldProblem[];
  /** special answers a field's own editor, or undefined for the form's. */
  special?: (path: Path, schema: JSONSchema, label: string) => ReactNode | undefined;
}

export const PanelContext = createContext<PanelEnv | null>(null);

export function usePanel(): PanelEnv {
  const env = useContext(PanelContext);
  if (!env) throw new Error('usePanel outside an activity panel');
  return env;
}
