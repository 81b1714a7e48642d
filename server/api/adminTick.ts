// POST /v1/admin/tick (and GET, which is what Vercel Cron sends): one pass of the dialer for
// hosts that only call URLs on a schedule (Vercel Cron, GitHub Actions, Cloud Scheduler). The
// request waits for the pass, so the pass's dials are answered before the function returns.
// Authorised by ADMIN_TOKEN or CRON_SECRET as a bearer token.
import type { RequestHandler, Router } from 'express';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { HttpError, unauthorized } from '../http/errors.js';
import { safeEqual } from '../crypto.js';
import { runTick } from '../worker/tick.js';
import { route } from './route.js';

const tickResult = z.object({
  at: z.string().describe('the instant the pass started'),
  planned: z.int().describe('occurrences planned (calls created by plan_occurrences)'),
  dialed: z.int().describe('calls POSTed to VAPI and accepted'),
  reconciled: z.int().describe('stale or expired calls the reconciliation sweep settled'),
  nextWakeAt: z.string().nullable().describe('when something next falls due (null: nothing planned)'),
  ms: z.number(),
});

function requireTickToken(context: AppContext): RequestHandler {
  return (request, _response, next) => {
    const accepted = [context.secrets.adminToken, context.config.cronSecret].filter((token): token is string => Boolean(token));
    if (accepted.length === 0) return next(new HttpError(403, 'admin_disabled', 'neither ADMIN_TOKEN nor CRON_SECRET is set on this server'));
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !accepted.some((candidate) => safeEqual(token, candidate))) return next(unauthorized('send ADMIN_TOKEN or CRON_SECRET as "Authorization: Bearer <token>"'));
    next();
  };
}

export function installAdminTickRoutes(router: Router, context: AppContext): void {
  const runIt = async () => ({
    body: await runTick({
      pool: context.pool,
      clock: context.clock,
      log: context.log.child({ component: 'tick' }),
      appSecret: context.secrets.appSecret,
      publicUrl: context.config.publicUrl,
      vapiBaseUrl: context.config.vapiBaseUrl,
      settings: { reconcileAfterSeconds: context.config.reconcileAfterSeconds, leaseSeconds: context.config.dialLeaseSeconds },
    }),
  });
  const spec = {
    path: '/v1/admin/tick',
    auth: 'admin' as const,
    responses: { 200: { description: 'what the pass did', schema: tickResult } },
  };
  router.post('/admin/tick', requireTickToken(context));
  router.get('/admin/tick', requireTickToken(context));
  route(router, { ...spec, method: 'post', summary: 'Run one pass of the dialer now: plan, dial what is due, reconcile (admin or cron)' }, runIt);
  route(router, { ...spec, method: 'get', summary: 'The same pass, for schedulers that only send GET (Vercel Cron)' }, runIt);
}
