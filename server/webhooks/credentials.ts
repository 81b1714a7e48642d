// A tenant's webhook credential as the receiver uses it: decrypted once and kept for a short
// while (WEBHOOK_CREDENTIAL_TTL_MS), so a burst of webhooks neither reads the tenant row nor
// decrypts its secret for each one. Kept safely: dialer.receive_webhooks stores a webhook only if
// the version it was authenticated with is still the tenant's ("stale" otherwise: the receiver
// reads the credential again and authenticates again), and a request the kept credential refuses
// is tried once more with a fresh one, so a rotated secret is honoured at once, never late.
import { decryptSecret } from '../crypto.js';
import type { WebhookTarget } from '../../db/queries/webhookTarget.js';
import type { WebhookAuth } from './authOptions.js';

/** Correctness does not depend on it (the version check), only how often the row is read. */
export const CREDENTIAL_TTL_MS = 30_000;

export type WebhookCredential = {
  tenantId: string;
  auth: WebhookAuth;
  /** dialer.webhook_credential_version of what this was read from. */
  version: string;
  /** The tenant's relayed message types (null: the default list). */
  forwardMessages: readonly string[] | null;
};

/** The credential in a looked-up target; null when the tenant is unknown or has no method. */
export function credentialOf(appSecret: string, target: WebhookTarget): WebhookCredential | null {
  if (!target.tenant_id || !target.webhook_auth_type || !target.credential_version) return null;
  return {
    tenantId: target.tenant_id,
    auth: {
      type: target.webhook_auth_type,
      secret: target.webhook_secret_encrypted ? decryptSecret(appSecret, target.webhook_secret_encrypted) : null,
      credentialId: target.webhook_credential_id,
      options: target.webhook_auth_options ?? {},
    },
    version: target.credential_version,
    forwardMessages: target.forward_messages,
  };
}

export type CredentialCache = {
  /** The kept credential of the tenant, or `load()`'s (kept when it found one). */
  get(tenantId: string, load: () => Promise<WebhookCredential | null>): Promise<WebhookCredential | null>;
  /** Keeps a credential read elsewhere (a full lookup). */
  put(credential: WebhookCredential): void;
  forget(tenantId: string): void;
};

export function createCredentialCache(ttlMs: number, now: () => number = Date.now): CredentialCache {
  const kept = new Map<string, { credential: WebhookCredential; expires: number }>();
  const put = (credential: WebhookCredential) => {
    if (ttlMs <= 0) return;
    // Bounded: tenants are few, but ?tenant= is the caller's to choose; unknown ones are never kept.
    if (kept.size >= 10_000) kept.clear();
    kept.set(credential.tenantId, { credential, expires: now() + ttlMs });
  };
  return {
    async get(tenantId, load) {
      const entry = kept.get(tenantId);
      if (entry && entry.expires > now()) return entry.credential;
      const credential = await load();
      if (credential) put(credential);
      else kept.delete(tenantId);
      return credential;
    },
    put,
    forget: (tenantId) => void kept.delete(tenantId),
  };
}
