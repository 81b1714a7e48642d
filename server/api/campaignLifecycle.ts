// POST /v1/campaigns/:id/start | pause | resume | stop. The transitions and what each does to
// the calls are decided in SQL (dialer.start_campaign … stop_campaign: PD409 on a transition the
// current status does not allow, PD404 when the campaign is not the tenant's); here each change
// is audited and wakes the worker, both in the same transaction (NOTIFY is delivered at commit).
import type { Router } from 'express';
import { sql } from 'slonik';
import type { AppContext } from '../context.js';
import { notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { findCampaign } from '../../db/queries/campaigns.js';
import { notifyWorker } from '../worker/wake.js';
import { callerOf } from './auth.js';
import { idParams } from './schemas.js';
import { route } from './route.js';
import { events } from '../events/bus.js';
import { campaignView, toCampaignView } from './campaignSchemas.js';

const transitions = {
  start: { fn: 'start_campaign', summary: 'Start a draft campaign: its contacts are scheduled and dialed inside its windows' },
  pause: { fn: 'pause_campaign', summary: 'Pause an active campaign: nothing new is dialed; live calls finish' },
  resume: { fn: 'resume_campaign', summary: 'Resume a paused campaign' },
  stop: { fn: 'stop_campaign', summary: 'Stop a campaign for good: its scheduled calls are cancelled' },
} as const;

export function installCampaignLifecycleRoutes(router: Router, context: AppContext): void {
  for (const [action, { fn, summary }] of Object.entries(transitions)) {
    route(
      router,
      {
        method: 'post',
        path: `/v1/campaigns/:id/${action}`,
        summary,
        description: '409 state_conflict when the campaign\'s status does not allow it.',
        tag: 'campaigns',
        params: idParams,
        errors: [409],
        responses: { 200: { description: 'the campaign after the change', schema: campaignView } },
      },
      async ({ params }, _request, response) => {
        const caller = callerOf(response);
        const at = context.clock.now().toISOString();
        const row = await context.pool.transaction(async (connection) => {
          const before = await findCampaign(connection, caller.tenantId, params.id, true);
          if (!before) throw notFound('campaign');
          await connection.query(sql.unsafe`
            select ${sql.identifier(['dialer', fn])}(${caller.tenantId}::uuid, ${params.id}::uuid, ${at}::timestamptz)`);
          const after = await findCampaign(connection, caller.tenantId, params.id);
          if (!after) throw notFound('campaign');
          await audit(connection, {
            tenantId: caller.tenantId,
            actor: apiKeyActor(caller.apiKeyId),
            action,
            entity: 'campaign',
            entityId: params.id,
            details: { from: before.status, to: after.status, at },
          });
          await notifyWorker(connection, `campaign_${action}`);
          return after;
        });
        events.campaign(caller.tenantId, params.id, row.status);
        context.wakeWorker?.(`campaign_${action}`);
        return { body: toCampaignView(row) };
      },
    );
  }
}
