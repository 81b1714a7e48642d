// begin_dial and record_dialed as the worker's dials ask for them, sent in batches (begin_dials,
// record_dials): each call still gets its own answer, with exactly the single-call rules.
import type { DatabasePool } from 'slonik';
import type { Clock } from '../clock.js';
import { beginDials, recordDialed, recordDials, type DialedCall } from '../../db/queries/dispatch.js';
import { createBatcher } from './batcher.js';

export type DialSteps = {
  /** begin_dial(callId, now): true means this process may POST the call, now. */
  beginDial(callId: string): Promise<boolean>;
  /** record_dialed(callId, vapiCallId, vapiStatus, now). */
  recordDialed(dialed: DialedCall): Promise<boolean>;
};

export function createDialSteps(pool: DatabasePool, clock: Clock): DialSteps {
  const begin = createBatcher<string, boolean>(async (callIds) => {
    // The instant is taken when the batch is sent: no call of it is POSTed before its answer.
    const started = new Set(await beginDials(pool, callIds, clock.now()));
    // A call asked twice in one batch is started once, as by two begin_dial calls: the first ask wins.
    return callIds.map((callId) => started.delete(callId));
  });
  const record = createBatcher<DialedCall, boolean>(async (dialed) => {
    // record_dials takes each call once; a call asked twice in one batch (two paths found it at
    // once) has its later asks answered one by one, by record_dialed's own rule.
    const seen = new Set<string>();
    const once = dialed.filter((call) => !seen.has(call.callId) && seen.add(call.callId));
    const at = clock.now();
    const firsts = new Set(once);
    const recorded = new Set(await recordDials(pool, once, at));
    const results: boolean[] = [];
    for (const call of dialed) {
      if (firsts.has(call)) results.push(recorded.has(call.callId));
      else results.push(await recordDialed(pool, call.callId, call.vapiCallId, call.vapiStatus, at));
    }
    return results;
  });
  return { beginDial: begin, recordDialed: record };
}
