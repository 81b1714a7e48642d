// The process's event bus: what the process already knows (webhooks it applies, dials it makes,
// the worker waking and sleeping, campaign transitions) published as it happens, for the
// /v1/events streams. Publishing is a function call: nothing touches the database, and with no
// stream open nothing listens, so an idle system stays idle.
export type CallEvent = {
  type: 'call';
  tenantId: string;
  callId: string;
  /** Null when the publisher does not know it (a webhook names only the call). */
  campaignId: string | null;
  status: string;
  at: string;
};
export type CampaignEvent = { type: 'campaign'; tenantId: string; campaignId: string; status: string; at: string };
export type ProgressEvent = { type: 'progress'; tenantId: string; campaignId: string; status: string; progress: Record<string, unknown>; at: string };
/** The worker's state is the server's, not a tenant's: every stream gets it. */
export type WorkerEvent = { type: 'worker'; tenantId: null; state: string; until: string | null; at: string };
export type DialerEvent = CallEvent | CampaignEvent | ProgressEvent | WorkerEvent;

type Listener = (event: DialerEvent, origin: 'local' | 'relayed') => void;

const listeners = new Set<Listener>();
const watcherListeners = new Set<(watchers: number) => void>();
let watchers = 0;

export function publish(event: DialerEvent, origin: 'local' | 'relayed' = 'local'): void {
  for (const listener of listeners) {
    try {
      listener(event, origin);
    } catch {
      // A listener's failure is its own; the publisher (a webhook, a dial) must not notice.
    }
  }
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** One-line hooks for the modules that know something happened. */
export const events = {
  call(tenantId: string, callId: string, status: string, campaignId: string | null = null): void {
    if (listeners.size === 0) return;
    publish({ type: 'call', tenantId, callId, campaignId, status, at: new Date().toISOString() });
  },
  campaign(tenantId: string, campaignId: string, status: string): void {
    if (listeners.size === 0) return;
    publish({ type: 'campaign', tenantId, campaignId, status, at: new Date().toISOString() });
  },
  worker(state: { state: string; [key: string]: unknown }): void {
    if (listeners.size === 0) return;
    const until = typeof state.until === 'string' ? state.until : null;
    publish({ type: 'worker', tenantId: null, state: state.state, until, at: new Date().toISOString() });
  },
};

/** Open /v1/events streams in this process (the shared LISTEN of split mode follows it). */
export function watcherCount(): number {
  return watchers;
}

export function addWatcher(): () => void {
  watchers++;
  for (const listener of watcherListeners) listener(watchers);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    watchers--;
    for (const listener of watcherListeners) listener(watchers);
  };
}

export function onWatchersChange(listener: (watchers: number) => void): () => void {
  watcherListeners.add(listener);
  return () => watcherListeners.delete(listener);
}
