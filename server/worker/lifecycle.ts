// The worker's sleep and wake-up logic as an explicit state machine: a pure transition function
// from (state, event) to (state, effects). worker.ts carries the effects out (runs the pass,
// arms the timer, starts and stops pg-boss) and feeds back what happened as events. Nothing here
// touches the database, a timer or the clock: every instant comes in with its event.
//
//   starting ──wake──▶ passing ──pass_done(rest)──▶ falling_asleep ──slept──▶ asleep
//                        ▲  │                                                    │
//                        │  └──pass_done(busy)──▶ awake ──wake/timer──┐           │
//                        └──────────────────────────────────────────────┴──wake───┘
//   any state ──stop──▶ stopping ──stopped──▶ stopped
//
// A wake-up during a pass or while falling asleep is queued and runs as one more pass after it
// (passes never overlap in one process). Asleep, the worker holds no database session at all:
// only its timer (next_wake_at) or a wake-up from outside (in-process, HTTP, LISTEN where
// enabled) brings it back.

/** What a pass is asked to do besides claiming and dialing. */
export type PassRequest = { plan: boolean; reconcile: boolean };

export type LifecycleState =
  | { name: 'starting' }
  | { name: 'passing'; since: number; queued: PassRequest | null }
  | { name: 'awake'; since: number; until: number | null }
  | { name: 'falling_asleep'; since: number; until: number | null; queued: PassRequest | null }
  | { name: 'asleep'; since: number; until: number | null }
  | { name: 'stopping' }
  | { name: 'stopped' };

export type LifecycleEvent =
  /** Something asks for a pass: the timer, the API (in-process or HTTP), a NOTIFY, a pg-boss job. */
  | { type: 'wake'; at: number; reason: string; reconcile: boolean }
  /** A pass ended. `rest`: nothing live, nothing due within minSleepMs: sleep until `until`. */
  | { type: 'pass_done'; at: number; next: number | null; rest: boolean; until: number | null }
  | { type: 'pass_failed'; at: number; retryAt: number }
  /** Falling asleep finished: the wake-up is recorded durably and pg-boss is stopped. */
  | { type: 'slept'; at: number }
  | { type: 'stop' }
  | { type: 'stopped' };

export type LifecycleEffect =
  | { type: 'run_pass'; request: PassRequest }
  /** pg-boss while awake: cron, the durable wake-up job, handlers. */
  | { type: 'start_boss' }
  /** Record the next wake-up durably (the pg-boss job), then stop pg-boss; answers `slept`. */
  | { type: 'fall_asleep'; next: number | null }
  /** One local timer: replaces any other; null clears it. */
  | { type: 'arm_timer'; at: number | null }
  | { type: 'record_wake_job'; next: number | null }
  | { type: 'log'; event: 'worker.woke' | 'worker.sleeping'; fields: Record<string, unknown> }
  /** Nothing running or queued: resolve whoever waits for the worker to settle. */
  | { type: 'settled' }
  | { type: 'shut_down' };

export type Transition = { state: LifecycleState; effects: LifecycleEffect[] };

// A call's end frees a slot but changes nothing that plan_occurrences looks at.
const plansFor = (reason: string) => !reason.endsWith('call-ended');

function requestOf(event: Extract<LifecycleEvent, { type: 'wake' }>): PassRequest {
  return { plan: plansFor(event.reason), reconcile: event.reconcile };
}

const merge = (a: PassRequest | null, b: PassRequest): PassRequest => ({
  plan: (a?.plan ?? false) || b.plan,
  reconcile: (a?.reconcile ?? false) || b.reconcile,
});

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

/** The first pass of a process: plan, and settle whatever a previous process left (reconcile). */
export const FIRST_PASS: PassRequest = { plan: true, reconcile: true };

export function transition(state: LifecycleState, event: LifecycleEvent): Transition {
  if (state.name === 'stopped') return { state, effects: [] };
  if (event.type === 'stop') {
    if (state.name === 'stopping') return { state, effects: [] };
    return { state: { name: 'stopping' }, effects: [{ type: 'arm_timer', at: null }, { type: 'shut_down' }] };
  }
  if (state.name === 'stopping') {
    return event.type === 'stopped' ? { state: { name: 'stopped' }, effects: [{ type: 'settled' }] } : { state, effects: [] };
  }

  switch (event.type) {
    case 'wake': {
      const request = requestOf(event);
      switch (state.name) {
        case 'starting':
          return {
            state: { name: 'passing', since: event.at, queued: null },
            effects: [{ type: 'start_boss' }, { type: 'run_pass', request: merge(FIRST_PASS, request) }],
          };
        case 'asleep':
          return {
            state: { name: 'passing', since: event.at, queued: null },
            effects: [
              { type: 'arm_timer', at: null },
              { type: 'log', event: 'worker.woke', fields: { reason: event.reason, asleepMs: event.at - state.since } },
              { type: 'start_boss' },
              { type: 'run_pass', request },
            ],
          };
        case 'awake':
          return { state: { name: 'passing', since: state.since, queued: null }, effects: [{ type: 'arm_timer', at: null }, { type: 'run_pass', request }] };
        case 'passing':
          return { state: { ...state, queued: merge(state.queued, request) }, effects: [] };
        case 'falling_asleep':
          return { state: { ...state, queued: merge(state.queued, request) }, effects: [] };
      }
      break;
    }
    case 'pass_done': {
      if (state.name !== 'passing') break;
      if (state.queued) {
        // Asked again meanwhile (a call ended, a campaign started): straight into the next pass.
        return { state: { name: 'passing', since: state.since, queued: null }, effects: [{ type: 'run_pass', request: state.queued }] };
      }
      if (event.rest) {
        return {
          state: { name: 'falling_asleep', since: event.at, until: event.until, queued: null },
          effects: [{ type: 'fall_asleep', next: event.next }],
        };
      }
      return {
        state: { name: 'awake', since: state.since, until: event.next },
        effects: [{ type: 'arm_timer', at: event.next }, { type: 'record_wake_job', next: event.next }, { type: 'settled' }],
      };
    }
    case 'pass_failed': {
      if (state.name !== 'passing') break;
      if (state.queued) return { state: { name: 'passing', since: state.since, queued: null }, effects: [{ type: 'run_pass', request: state.queued }] };
      // The database may be restarting: try again shortly rather than spin.
      return { state: { name: 'awake', since: state.since, until: event.retryAt }, effects: [{ type: 'arm_timer', at: event.retryAt }, { type: 'settled' }] };
    }
    case 'slept': {
      if (state.name !== 'falling_asleep') break;
      if (state.queued) {
        return {
          state: { name: 'passing', since: event.at, queued: null },
          effects: [{ type: 'start_boss' }, { type: 'run_pass', request: state.queued }],
        };
      }
      return {
        state: { name: 'asleep', since: event.at, until: state.until },
        effects: [
          { type: 'arm_timer', at: state.until },
          { type: 'log', event: 'worker.sleeping', fields: { until: iso(state.until) } },
          { type: 'settled' },
        ],
      };
    }
    case 'stopped':
      break;
  }
  // Anything else cannot happen in this state (a stale answer): ignored, and said so in tests.
  return { state, effects: [] };
}

/**
 * Whether a pass that ended at `now` lets the worker sleep, and until when: only with nothing
 * live and neither the next wake-up nor any pending pg-boss job within `minSleepMs`.
 */
export function restAfterPass(input: {
  now: number;
  dialed: number;
  live: number;
  next: number | null;
  pendingJob: number | null;
  minSleepMs: number;
}): { rest: boolean; until: number | null } {
  const { now, next, pendingJob, minSleepMs } = input;
  if (input.dialed > 0 || input.live > 0) return { rest: false, until: next };
  const soonest = [next, pendingJob].filter((at): at is number => at !== null).sort((a, b) => a - b)[0] ?? null;
  if (soonest !== null && soonest - now < minSleepMs) return { rest: false, until: next };
  return { rest: true, until: soonest };
}

/** What /health and the scheduler status show. */
export type WorkerStateView = { state: 'starting' | 'awake' | 'asleep' | 'stopping' | 'stopped'; since?: string; until?: string | null; nextWakeAt?: string | null };

export function viewOf(state: LifecycleState): WorkerStateView {
  switch (state.name) {
    case 'starting':
    case 'stopping':
    case 'stopped':
      return { state: state.name };
    case 'passing':
      return { state: 'awake', since: iso(state.since)! };
    case 'awake':
      return { state: 'awake', since: iso(state.since)!, nextWakeAt: iso(state.until) };
    case 'falling_asleep':
      return { state: 'awake', since: iso(state.since)!, nextWakeAt: iso(state.until) };
    case 'asleep':
      return { state: 'asleep', since: iso(state.since)!, until: iso(state.until), nextWakeAt: iso(state.until) };
  }
}
