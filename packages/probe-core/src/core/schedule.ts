import type { TlsFailureKind, TlsVersion } from '../types.js';

/**
 * The order of one address's handshakes: which to start, which to close uncounted, which attempt of which
 * version each one counts as, when to pause. Pure: `collect` starts the handshakes, sleeps, and reports back.
 *
 * The order matters to the judgement of a lazy server (its first handshakes carry no staple): the attempts
 * are read as one sequence, versions in the order given, and STAPLE_LAZY needs an unstapled handshake before
 * the first stapled one. So everything hangs on the first handshake that completes in that order:
 *
 * - The first round starts at once: the first version's first attempt (the opening) and, alongside it, up to
 *   `atOnce` handshakes of each version in all (the first version's next attempts, each other version's
 *   first ones).
 * - If the opening carries a staple (known before its handshake ends: TLS 1.2 sends it in the server's first
 *   flight), nothing that follows can make the server look lazy, and the round stands as the sequence's next
 *   attempts. A later version whose first attempt failed keeps that one failure (a version the server refuses
 *   fails once, not `attempts` times); the others of its round are closed and not counted. Attempts beyond
 *   the round follow, at most `atOnce` of a version at a time.
 * - If it carries none (a lazy server), the round's other handshakes are closed and not counted, and the
 *   handshakes go one after another, with a pause after each unstapled one that is not a version's last.
 * - If it fails, the next version's first attempt of the round (already under way) decides in its place once
 *   it has ended (a staple: its round stands; none: the rest in turn; a failure: the next version), and so
 *   on: it was among the server's first requests for a staple, as it would have been in turn.
 * - A failure that says the address is dead (`UNREACHABLE`) stops every version: nothing more is started.
 *
 * With the default 2 versions × 3 attempts that is one round of handshakes where strictly in turn it is six:
 * over a real network, one connection's round trips instead of six of them. The evidence keeps the sequence
 * order; only the wall time shrinks.
 */
export interface ScheduleOptions {
  readonly versions: readonly TlsVersion[];
  /** Full handshakes per version. */
  readonly attempts: number;
  /** Handshakes of one version under way at a time. */
  readonly atOnce: number;
}

/** What became of a handshake, as far as the order is concerned. */
export type HandshakeEnd = { readonly ok: true; readonly stapled: boolean } | { readonly ok: false; readonly kind: TlsFailureKind };

export type ScheduleEvent =
  /** The staple of a handshake started with `watchStaple` arrived; its handshake may still be under way. */
  | { readonly type: 'stapled'; readonly id: number }
  | { readonly type: 'ended'; readonly id: number; readonly end: HandshakeEnd }
  /** The pause asked for is over (or was cut short by an abort). */
  | { readonly type: 'resumed' }
  /** The caller gave up: nothing more is started. Give it before the event that follows the abort. */
  | { readonly type: 'aborted' };

export type ScheduleAction =
  /**
   * Start handshake `id` of `version` (the `index`th of the versions). `attempt` is the attempt it will count
   * as, if it counts. `watchStaple`: report its staple as soon as it arrives. `closable`: it may be closed
   * uncounted, so give it a way to be cut off.
   */
  | {
      readonly type: 'start';
      readonly id: number;
      readonly index: number;
      readonly version: TlsVersion;
      readonly attempt: number;
      readonly watchStaple: boolean;
      readonly closable: boolean;
    }
  /** Cut these handshakes off if still under way (an ended one stays so); they do not count. */
  | { readonly type: 'close'; readonly ids: readonly number[] }
  /** Handshake `id`, ended, is attempt `attempt` of `version`. */
  | { readonly type: 'count'; readonly id: number; readonly index: number; readonly version: TlsVersion; readonly attempt: number }
  /** Wait the retry delay, then report `resumed`: a lazy server's time to fetch. */
  | { readonly type: 'pause' }
  /** Every handshake started has ended and is counted or closed. */
  | { readonly type: 'done' };

/** Handshakes of one version and address at a time. */
export const AT_ONCE = 4;

/**
 * Failures that say the address is dead: retrying tells nothing, and the other version would fail alike (a
 * STARTTLS upgrade that failed fails before any TLS version is offered).
 */
export const UNREACHABLE: ReadonlySet<TlsFailureKind> = new Set(['dns', 'refused', 'unreachable', 'timeout', 'starttls']);

interface Shake {
  readonly id: number;
  readonly index: number;
  readonly attempt: number;
  end: HandshakeEnd | null;
}

/** A version once its round stands: its first attempt decides for the others, or they all count. */
type Track =
  | { readonly mode: 'first'; readonly index: number; readonly first: Shake; readonly others: readonly Shake[] }
  /** Count each as it ends; then the attempts from `restFrom`, `atOnce` at a time. */
  | { readonly mode: 'count'; readonly index: number; pending: Shake[]; restFrom: number }
  | { readonly mode: 'closing'; readonly waiting: readonly Shake[] }
  | { readonly mode: 'done' };

/** The steps in turn of an address whose round did not stand. */
type Step =
  | { readonly kind: 'pause'; asked: boolean }
  | { readonly kind: 'close'; readonly shakes: readonly Shake[]; asked: boolean }
  /** The round's first attempt of version `index` decides, the opening and earlier versions having failed. */
  | { readonly kind: 'decide'; readonly index: number; checked: boolean }
  /** Attempts `attempt`..`to` of a version, one after another. */
  | { readonly kind: 'lane'; readonly index: number; readonly attempt: number; readonly to: number; shake: Shake | null };

const isStapled = (end: HandshakeEnd | null) => end !== null && end.ok && end.stapled;

/**
 * The handshake order of one address, as a state machine: `start()` gives the first actions, `on(event)` the
 * actions that follow from what came back. No timers, sockets or clock: see `ScheduleOptions` for the rules.
 */
export class HandshakeSchedule {
  readonly #options: ScheduleOptions;
  readonly #roundEnd: number;
  readonly #shakes = new Map<number, Shake>();
  #actions: ScheduleAction[] = [];
  #opening: Shake | null = null;
  /** Per version, the round's handshakes other than the opening. */
  #round: Shake[][] = [];
  #decided = false;
  /** The versions whose round stands, each on its own. */
  #tracks: Track[] = [];
  /** Or the steps in turn, when it does not. */
  #steps: Step[] = [];
  #unreachable = false;
  #aborted = false;
  #done = false;

  constructor(options: ScheduleOptions) {
    this.#options = options;
    this.#roundEnd = Math.min(options.attempts, options.atOnce);
  }

  /** The opening and the rest of the first round; `done` at once for no versions, no attempts or an abort. */
  start(): ScheduleAction[] {
    const { versions, attempts } = this.#options;
    if (versions.length === 0 || attempts < 1 || this.#aborted) {
      this.#decided = true;
      return this.#flush();
    }
    this.#opening = this.#start(0, 1, { watchStaple: true, closable: false });
    this.#round = versions.map((_, index) => {
      const from = index === 0 ? 2 : 1;
      return Array.from({ length: Math.max(0, this.#roundEnd - from + 1) }, (_, k) => this.#start(index, from + k, { watchStaple: false, closable: true }));
    });
    return this.#flush();
  }

  on(event: ScheduleEvent): ScheduleAction[] {
    if (this.#done) return [];
    switch (event.type) {
      case 'aborted':
        // Read where a decision is taken, as a signal's `aborted` would be; it starts nothing by itself.
        this.#aborted = true;
        return [];
      case 'stapled':
        if (!this.#decided && event.id === this.#opening?.id) this.#stand(0);
        break;
      case 'ended': {
        const shake = this.#shakes.get(event.id);
        if (!shake || shake.end) return [];
        shake.end = event.end;
        if (!this.#decided && shake === this.#opening) this.#openingEnded(shake);
        break;
      }
      case 'resumed':
        if (this.#steps[0]?.kind === 'pause') this.#steps.shift();
        break;
    }
    return this.#flush();
  }

  /** The opening ended before its staple was seen: count it, then the round stands or the rest goes in turn. */
  #openingEnded(opening: Shake): void {
    this.#count(opening);
    if (isStapled(opening.end)) return this.#stand(0);
    this.#decided = true;
    const { attempts, versions } = this.#options;
    const [own = [], ...later] = this.#round;
    if (!opening.end?.ok) {
      this.#steps = [this.#close(own), ...(versions.length > 1 ? [{ kind: 'decide', index: 1, checked: false } as const] : [])];
      return;
    }
    this.#steps = [...(attempts > 1 ? [{ kind: 'pause', asked: false } as const] : []), this.#close(own), ...this.#inTurn(0, later.flat())];
  }

  /** After version `index` went without a staple: close the later versions' round, then everything in turn. */
  #inTurn(index: number, laterRound: readonly Shake[]): Step[] {
    const { attempts, versions } = this.#options;
    const lanes: Step[] = versions.slice(index + 1).map((_, k) => ({ kind: 'lane', index: index + 1 + k, attempt: 1, to: attempts, shake: null }));
    return [this.#close(laterRound), { kind: 'lane', index, attempt: 2, to: attempts, shake: null }, ...lanes];
  }

  /** A staple on the handshake deciding for version `index`: its round and every later version's stand. */
  #stand(index: number): void {
    this.#decided = true;
    this.#steps = [];
    const own = index === 0 && this.#opening && !this.#opening.end ? [this.#opening] : [];
    this.#tracks.push({ mode: 'count', index, pending: [...own, ...(this.#round[index] ?? []).slice(index === 0 ? 0 : 1)], restFrom: this.#roundEnd + 1 });
    for (let later = index + 1; later < this.#round.length; later++) {
      const [first, ...others] = this.#round[later] ?? [];
      if (first) this.#tracks.push({ mode: 'first', index: later, first, others });
    }
  }

  #start(index: number, attempt: number, how: { watchStaple: boolean; closable: boolean }): Shake {
    const shake: Shake = { id: this.#shakes.size, index, attempt, end: null };
    this.#shakes.set(shake.id, shake);
    this.#actions.push({ type: 'start', id: shake.id, index, version: this.#options.versions[index] as TlsVersion, attempt, ...how });
    return shake;
  }

  #count(shake: Shake): void {
    const { end } = shake;
    if (end && !end.ok && UNREACHABLE.has(end.kind)) this.#unreachable = true;
    this.#actions.push({ type: 'count', id: shake.id, index: shake.index, version: this.#options.versions[shake.index] as TlsVersion, attempt: shake.attempt });
  }

  #close(shakes: readonly Shake[]): Step {
    return { kind: 'close', shakes, asked: false };
  }

  #askClose(shakes: readonly Shake[]): void {
    const ids = shakes.filter((s) => !s.end).map((s) => s.id);
    if (ids.length > 0) this.#actions.push({ type: 'close', ids });
  }

  #stopped(): boolean {
    return this.#unreachable || this.#aborted;
  }

  /** Go as far as what has come back allows; then the actions that took. */
  #flush(): ScheduleAction[] {
    if (this.#decided) {
      for (let moved = true; moved;) {
        moved = false;
        for (let i = 0; i < this.#tracks.length; i++) moved = this.#advanceTrack(i) || moved;
        moved = this.#advanceStep() || moved;
      }
      const over = this.#steps.length === 0 && this.#tracks.every((t) => t.mode === 'done') && [...this.#shakes.values()].every((s) => s.end);
      if (over && !this.#done) {
        this.#done = true;
        this.#actions.push({ type: 'done' });
      }
    }
    const actions = this.#actions;
    this.#actions = [];
    return actions;
  }

  /** One move of the `i`th version whose round stands; false when it waits. */
  #advanceTrack(i: number): boolean {
    const track = this.#tracks[i] as Track;
    switch (track.mode) {
      case 'first': {
        const { first, others } = track;
        if (!first.end) return false;
        this.#count(first);
        if (first.end.ok) this.#tracks[i] = { mode: 'count', index: track.index, pending: [...others], restFrom: this.#roundEnd + 1 };
        else {
          // A version the server refuses fails once.
          this.#askClose(others);
          this.#tracks[i] = { mode: 'closing', waiting: others };
        }
        return true;
      }
      case 'count': {
        const ended = track.pending.filter((s) => s.end);
        if (ended.length > 0) {
          for (const s of ended) this.#count(s);
          track.pending = track.pending.filter((s) => !s.end);
          return true;
        }
        if (track.pending.length > 0) return false;
        const { attempts, atOnce } = this.#options;
        if (track.restFrom > attempts || this.#stopped()) {
          this.#tracks[i] = { mode: 'done' };
          return true;
        }
        const last = Math.min(attempts, track.restFrom + atOnce - 1);
        for (let attempt = track.restFrom; attempt <= last; attempt++)
          track.pending.push(this.#start(track.index, attempt, { watchStaple: false, closable: false }));
        track.restFrom = last + 1;
        return true;
      }
      case 'closing':
        if (!track.waiting.every((s) => s.end)) return false;
        this.#tracks[i] = { mode: 'done' };
        return true;
      case 'done':
        return false;
    }
  }

  /** One move of the steps in turn; false when the first one waits. */
  #advanceStep(): boolean {
    const step = this.#steps[0];
    if (!step) return false;
    switch (step.kind) {
      case 'pause':
        if (!step.asked) {
          step.asked = true;
          this.#actions.push({ type: 'pause' });
        }
        return false;
      case 'close':
        if (!step.asked) {
          step.asked = true;
          this.#askClose(step.shakes);
        }
        if (!step.shakes.every((s) => s.end)) return false;
        this.#steps.shift();
        return true;
      case 'decide':
        return this.#decide(step);
      case 'lane':
        return this.#advanceLane(step);
    }
  }

  /** The round's first attempt of a version decides, as the opening would have. */
  #decide(step: Extract<Step, { kind: 'decide' }>): boolean {
    const round = this.#round[step.index] ?? [];
    const next: Step[] = step.index + 1 < this.#options.versions.length ? [{ kind: 'decide', index: step.index + 1, checked: false }] : [];
    const [first, ...others] = round;
    // Whether to go on is settled when the version's turn comes, as a loop would; an abort while its first
    // attempt is under way does not take that attempt back.
    if (!step.checked) {
      step.checked = true;
      if (this.#stopped() || !first) {
        this.#steps.splice(0, 1, this.#close(round), ...next);
        return true;
      }
    }
    if (!first?.end) return false;
    this.#count(first);
    if (isStapled(first.end)) {
      this.#stand(step.index);
      return true;
    }
    if (!first.end.ok) {
      this.#steps.splice(0, 1, this.#close(others), ...next);
      return true;
    }
    const pause: Step[] = this.#options.attempts > 1 ? [{ kind: 'pause', asked: false }] : [];
    this.#steps.splice(0, 1, this.#close(others), ...pause, ...this.#inTurn(step.index, this.#round.slice(step.index + 1).flat()));
    return true;
  }

  /** One attempt of a version in turn: start it, or count it once ended and go on to the next. */
  #advanceLane(step: Extract<Step, { kind: 'lane' }>): boolean {
    if (!step.shake) {
      if (step.attempt > step.to || this.#stopped()) {
        this.#steps.shift();
        return true;
      }
      step.shake = this.#start(step.index, step.attempt, { watchStaple: false, closable: false });
      return true;
    }
    const { end } = step.shake;
    if (!end) return false;
    this.#count(step.shake);
    const following: Step[] = [];
    // Retrying a failed handshake tells nothing new; an unstapled one is followed by the time to fetch.
    if (end.ok) {
      if (!end.stapled && step.attempt < this.#options.attempts) following.push({ kind: 'pause', asked: false });
      following.push({ kind: 'lane', index: step.index, attempt: step.attempt + 1, to: step.to, shake: null });
    }
    this.#steps.splice(0, 1, ...following);
    return true;
  }
}

/** One counted handshake of an address, as far as confirming a version goes. */
export interface CountedHandshake {
  readonly tlsVersion: TlsVersion;
  /** Its place among the address's handshakes by start. */
  readonly order: number;
  readonly ok: boolean;
  readonly stapled: boolean;
}

/**
 * The versions to try once more after the schedule: those whose handshakes completed without a staple, all
 * of them started before the address's first stapled one. nginx fetches per worker process: right after a
 * start each worker staples only after its own first request, so a version's attempts can all land on
 * workers that have not fetched yet while the other version's land on one that has (measured with
 * `worker_processes 4`: STAPLE_MISSING_ON_VERSION after 10 of 20 fresh starts, docs/servers.md). One more
 * handshake after everything tells that from a version that never staples. None with a single attempt
 * (nothing of the lazy reading is asked for) or when nothing stapled.
 */
export function versionsToConfirm(counted: readonly CountedHandshake[], attempts: number): TlsVersion[] {
  if (attempts < 2) return [];
  const firstStaple = Math.min(...counted.filter((h) => h.ok && h.stapled).map((h) => h.order));
  if (!Number.isFinite(firstStaple)) return [];
  const versions = [...new Set(counted.map((h) => h.tlsVersion))];
  return versions.filter((v) => {
    const done = counted.filter((h) => h.tlsVersion === v && h.ok);
    return done.length > 0 && done.every((h) => !h.stapled && h.order < firstStaple);
  });
}
