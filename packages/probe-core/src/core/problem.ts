import type { FindingCode } from '../findings.js';
import type { Finding, Location } from '../types.js';

export type Args = Finding['args'];

/** A finding before it has a place: what a rule returns and `assess` adds to the report. */
export interface Problem {
  readonly code: FindingCode;
  readonly args: Args;
}

/** A problem and the place it was seen: what a rule family returns. */
export type PlacedProblem = Problem & { readonly where: Location };

/** `problem`, seen at `where`. */
export function placed(problem: Problem, where: Location): PlacedProblem {
  return { ...problem, where };
}
