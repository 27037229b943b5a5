import type { FindingCode } from '../findings.js';
import type { FindingArgs, Location } from '../types.js';

/**
 * A finding before it has a place: what a rule returns and `assess` adds to the report. A union over
 * `code`, so each code carries exactly its `FindingArgs`; `Problem<C>` is a problem of the codes `C` only.
 */
export type Problem<C extends FindingCode = FindingCode> = {
  readonly [K in C]: { readonly code: K; readonly args: FindingArgs[K] };
}[C];

/** A problem and the place it was seen: what a rule family returns. */
export type PlacedProblem = Problem & { readonly where: Location };

/** `problem`, seen at `where`. */
export function placed(problem: Problem, where: Location): PlacedProblem {
  return { ...problem, where };
}
