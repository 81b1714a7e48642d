// Whether a call's messages are relayed, and which, for the POST /call body's serverMessages:
// read once per tenant and campaign (direct calls share one entry) and kept briefly, like the
// tenant's VAPI client, so a burst of dials does not read it for every call.
import type { CommonQueryMethods } from 'slonik';
import { forwardingOf } from '../../db/queries/forwards.js';
import { forwardMessagesOf } from '../vapi/serverMessages.js';

export type CallForwarding = { url: string; messages: readonly string[] } | null;
/** What a call asks VAPI for besides pgdialer's own messages: the relay's, and tool calls for an opt-out tool. */
export type CallMessages = { forwarding: CallForwarding; optOutTool: boolean };

export type ForwardingCache = {
  /** callId: any call of that campaign (forward_url_of resolves the campaign from it). */
  get(db: CommonQueryMethods, tenantId: string, campaignId: string | null, callId: string): Promise<CallMessages>;
};

export function createForwardingCache(ttlMs = 30_000): ForwardingCache {
  const cache = new Map<string, { value: Promise<CallMessages>; expires: number }>();
  return {
    get(db, tenantId, campaignId, callId) {
      const key = `${tenantId}/${campaignId ?? 'direct'}`;
      const now = Date.now();
      const cached = cache.get(key);
      if (cached && cached.expires > now) return cached.value;
      const value = forwardingOf(db, tenantId, callId).then((row) => ({
        forwarding: row.url ? { url: row.url, messages: forwardMessagesOf(row.messages) } : null,
        optOutTool: row.opt_out_tool,
      }));
      cache.set(key, { value, expires: now + ttlMs });
      value.catch(() => cache.delete(key));
      return value;
    },
  };
}
