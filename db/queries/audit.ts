// The audit log: one row per state change made through the API or a CLI, written in the same
// transaction as the change so one never exists without the other.
import { sql, type CommonQueryMethods } from 'slonik';

export type AuditEntry = {
  tenantId: string | null;
  /** 'admin', 'cli', or 'api_key:<id>' (the key that made the request). */
  actor: string;
  action: string;
  entity: string;
  entityId?: string | null;
  details?: Record<string, unknown>;
};

export const apiKeyActor = (apiKeyId: string) => `api_key:${apiKeyId}`;

export async function audit(connection: CommonQueryMethods, entry: AuditEntry): Promise<void> {
  await connection.query(sql.unsafe`
    insert into dialer.audit_log (tenant_id, actor, action, entity, entity_id, details)
    values (${entry.tenantId}, ${entry.actor}, ${entry.action}, ${entry.entity}, ${entry.entityId ?? null},
            ${sql.jsonb(JSON.parse(JSON.stringify(entry.details ?? {})))})`);
}
