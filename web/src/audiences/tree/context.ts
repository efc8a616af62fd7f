import { createContext, useContext } from 'react';
import type { Model } from './model';
import type { Node, Path } from './node';

/** What every node of the rule tree needs: the model for its pickers, the
 * server's problems by node key, the saved audiences, and the one way to
 * change the tree (a pure function applied at a path). */
export interface TreeEnv {
  model: Model;
  problems: Map<string, string[]>;
  audiences: string[];
  change: (path: Path, fn: (n: Node) => Node | undefined) => void;
}

export const TreeContext = createContext<TreeEnv | null>(null);

export function useTree(): TreeEnv {
  const env = useContext(TreeContext);
  if (!env) throw new Error('useTree outside a rule tree');
  return env;
}

/** outline numbers a node as a person reads the tree: 2.1 is the first
 * condition inside the second. */
export function outline(path: Path): string {
  const n = path.filter((s) => s.length === 2).map((s) => String((s[1] as number) + 1));
  return n.length === 0 ? '0' : n.join('.');
}
