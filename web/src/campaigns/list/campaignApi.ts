// What the campaigns' pages share with each other and with the run
// monitor: the name rule, the problems a refused document comes with, the
// queries' keys.
import { APIError, type Schemas } from '../../api/client';

export type Campaign = Schemas['Campaign'];
export type Run = Schemas['Run'];
export type Problem = Schemas['Problem'];

/** campaignNamePattern is the rule of docs/campaigns.md: 1 to 100
 * letters, digits, `_ - .`. */
const campaignNamePattern = /^[A-Za-z0-9_.-]{1,100}$/;

/** validCampaignName says whether a name follows the document's rule. */
export function validCampaignName(name: string): boolean {
  return campaignNamePattern.test(name);
}

/** ProblemError is a refused call whose answer lists problems (an invalid
 * campaign: error.details), each with its path and message. */
export class ProblemError extends APIError {
  readonly problems: Problem[];
  constructor(status: number, error: unknown, statusText = '') {
    super(status, error, statusText);
    const details = (error as { error?: { details?: unknown } } | undefined)?.error?.details;
    this.problems = Array.isArray(details) ? (details as Problem[]) : [];
  }
}

/** check answers a call's data or throws its ProblemError. */
export function check<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok || result.error !== undefined) throw new ProblemError(result.response.status, result.error, result.response.statusText);
  return result.data as T;
}

/** The queries' keys: the list, one campaign, its runs, the recent runs
 * of every campaign. */
export const keys = {
  list: ['campaigns'] as const,
  one: (name: string) => ['campaigns', name] as const,
  runs: (name: string) => ['campaigns', name, 'runs'] as const,
  schedule: (name: string) => ['campaigns', name, 'schedule'] as const,
  recentRuns: ['runs', 'recent', 'campaigns'] as const,
};

/** newCampaignDocument is the smallest document the canvas starts from. */
export function newCampaignDocument(name: string): string {
  // Quoted: a name such as 1.5 or true is a string all the same.
  return `name: ${JSON.stringify(name)}\nactivities:\n  start: {type: start}\n`;
}
