import { useCallback, useState } from 'react';

interface State {
  past: string[];
  present: string;
  future: string[];
  /** What made the present state: typing coalesces into one step. */
  tag?: string;
}

const LIMIT = 200;

/** useHistory keeps the document's texts for undo and redo. set with a tag
 * equal to the last one's replaces the present state (typing in the text
 * view is one step, not one per key). */
export function useHistory(initial: string) {
  const [h, setH] = useState<State>({ past: [], present: initial, future: [] });
  const set = useCallback((text: string, tag?: string) => {
    setH((s) => {
      if (text === s.present) return s;
      if (tag && tag === s.tag) return { ...s, present: text, future: [] };
      return { past: [...s.past, s.present].slice(-LIMIT), present: text, future: [], tag };
    });
  }, []);
  const reset = useCallback((text: string) => setH({ past: [], present: text, future: [] }), []);
  const undo = useCallback(() => {
    setH((s) => {
      const prev = s.past[s.past.length - 1];
      return prev === undefined ? s : { past: s.past.slice(0, -1), present: prev, future: [s.present, ...s.future] };
    });
  }, []);
  const redo = useCallback(() => {
    setH((s) => {
      const next = s.future[0];
      return next === undefined ? s : { past: [...s.past, s.present], present: next, future: s.future.slice(1) };
    });
  }, []);
  return { text: h.present, set, reset, undo, redo, canUndo: h.past.length > 0, canRedo: h.future.length > 0 };
}
