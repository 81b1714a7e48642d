// GET /v1/events: a server-sent events stream of one tenant's changes (call status, campaign
// status and progress) and the worker's wake/sleep. Authenticated like every /v1 route, with the
// Authorization header: a browser reads it with fetch() and a stream reader (EventSource cannot
// set headers), curl with `curl -N -H "Authorization: Bearer $KEY"`.
//
// Nothing here polls. Events come from the bus (bus.ts), fed by what this process does, or, in
// split mode, by the one shared LISTEN that runs only while a stream is open (relay.ts).
// Progress is read from dialer.campaign_progress only after a change and only for a tenant with
// a stream open: once per tenant per PROGRESS_EVERY_MS at most, shared by all its streams.
import type { Response, Router } from 'express';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { tenantCampaignProgress } from '../../db/queries/campaigns.js';
import { callerOf } from '../api/auth.js';
import { route } from '../api/route.js';
import { progressOf } from '../api/campaigns.js';
import { addWatcher, subscribe, type DialerEvent } from './bus.js';

const HEARTBEAT_MS = 20_000;
const PROGRESS_EVERY_MS = 500;

type Refresh = (tenantId: string, campaignId: string | null) => void;
type Stream = { tenantId: string; response: Response; refresh: Refresh; close(): void };
const streams = new Set<Stream>();
let nextEventId = 1;
let subscribed = false;

/** One bus subscription for every stream of the process (apps may be created several times). */
function subscribeOnce(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe((event) => {
    if (streams.size === 0) return;
    const refreshers = new Set<Refresh>();
    for (const stream of streams) {
      if (event.tenantId !== null && event.tenantId !== stream.tenantId) continue;
      write(stream, event);
      refreshers.add(stream.refresh);
    }
    if (event.type === 'call' || event.type === 'campaign') for (const refresh of refreshers) refresh(event.tenantId, event.campaignId);
  });
}

function write(stream: Stream, event: DialerEvent | { type: 'ready'; [key: string]: unknown }): void {
  const { tenantId: _tenant, ...data } = event as DialerEvent;
  stream.response.write(`id: ${nextEventId++}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Ends every open stream (shutdown: an endless response would hold the HTTP server open). */
export function endEventStreams(): void {
  for (const stream of [...streams]) stream.close();
}

/**
 * Per tenant, one progress read at a time: changes arriving meanwhile ask for one more read
 * after it (reads overlapping could finish out of order and show an older count last).
 */
function createProgressRefresher(context: AppContext): Refresh {
  const tenants = new Map<string, { campaignIds: Set<string>; scheduled: boolean; running: boolean; dirty: boolean }>();

  async function refresh(tenantId: string, campaignIds: string[]): Promise<void> {
    if (![...streams].some((stream) => stream.tenantId === tenantId)) return;
    const rows = await tenantCampaignProgress(context.pool, tenantId, campaignIds);
    const at = new Date().toISOString();
    for (const row of rows) {
      const event: DialerEvent = { type: 'progress', tenantId, campaignId: row.campaign_id, status: row.status, progress: { ...progressOf(row), nextWindowOpen: row.next_window_open }, at };
      for (const stream of streams) if (stream.tenantId === tenantId) write(stream, event);
    }
  }

  function schedule(tenantId: string): void {
    const state = tenants.get(tenantId)!;
    if (state.scheduled || state.running) return;
    state.scheduled = true;
    setTimeout(() => {
      state.scheduled = false;
      state.running = true;
      const campaignIds = [...state.campaignIds];
      state.campaignIds.clear();
      refresh(tenantId, campaignIds)
        .catch((error) => context.log.warn('events.progress_failed', { tenantId, error }))
        .finally(() => {
          state.running = false;
          if (state.dirty) {
            state.dirty = false;
            schedule(tenantId);
          } else tenants.delete(tenantId);
        });
    }, PROGRESS_EVERY_MS).unref();
  }

  return (tenantId, campaignId) => {
    let state = tenants.get(tenantId);
    if (!state) tenants.set(tenantId, (state = { campaignIds: new Set(), scheduled: false, running: false, dirty: false }));
    if (campaignId) state.campaignIds.add(campaignId);
    if (state.running) state.dirty = true;
    else schedule(tenantId);
  };
}

export const eventStreamDescription =
  'Server-sent events (text/event-stream) for the API key\'s tenant, as they happen: `call` {callId, campaignId (null when not known), status}, ' +
  '`campaign` {campaignId, status}, `progress` {campaignId, status, progress} (the counts of GET /v1/campaigns/{id}, at most twice a second, ' +
  'after a change), `worker` {state: awake|sleeping, until}, and `ready` once at the start. Send the key in the Authorization header ' +
  '(in a browser, read the stream with fetch; EventSource cannot send headers). A comment line every 20 s keeps proxies from closing it. ' +
  'No replay: after a reconnect, read the current state from the API.';

export function installEventRoutes(router: Router, context: AppContext): void {
  const refresh = createProgressRefresher(context);
  subscribeOnce();

  route(
    router,
    {
      method: 'get',
      path: '/v1/events',
      summary: 'Live changes of the tenant: call status, campaign status and progress, worker wake/sleep (server-sent events)',
      description: eventStreamDescription,
      responses: { 200: { description: 'an endless text/event-stream', contentType: 'text/event-stream', schema: z.string() } },
    },
    async (_input, request, response) => {
      const { tenantId } = callerOf(response);
      response.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      });
      response.write('retry: 2000\n\n');
      const removeWatcher = addWatcher();
      const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const stream: Stream = {
        tenantId,
        response,
        refresh,
        close() {
          if (!streams.delete(stream)) return;
          clearInterval(heartbeat);
          removeWatcher();
          response.end();
        },
      };
      streams.add(stream);
      request.on('close', () => stream.close());
      write(stream, { type: 'ready', worker: context.workerState(), at: new Date().toISOString() });
      return undefined;
    },
  );
}
