import { useEffect, useState } from 'react';
import { validate, type CampaignProblem } from './draftApi';

const DEBOUNCE_MS = 400;

/** useProblems validates the document's text on the server (POST
 * /api/campaigns/validate) 400 ms after the last edit, each superseded
 * request aborted; the last answer's problems stay while the next runs. */
export function useProblems(text: string | undefined): { problems: CampaignProblem[]; pending: boolean; error?: string } {
  const [state, setState] = useState<{ text?: string; problems: CampaignProblem[]; error?: string }>({ problems: [] });
  useEffect(() => {
    if (text === undefined) return;
    const ctrl = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const problems = await validate(text, ctrl.signal);
        if (!ctrl.signal.aborted) setState({ text, problems });
      } catch (err) {
        if (!ctrl.signal.aborted) setState((s) => ({ text, problems: s.problems, error: (err as Error).message }));
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [text]);
  return { problems: state.problems, error: state.error, pending: text !== undefined && state.text !== text };
}
