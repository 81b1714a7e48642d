// POST /v1/tenants: the server admin (ADMIN_TOKEN) creates an account and its first API key.
import type { Router } from 'express';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { createTenant } from '../../db/queries/tenants.js';
import { requireAdmin } from './auth.js';
import { route } from './route.js';

const createdTenant = z.object({
  id: z.uuid(),
  name: z.string(),
  apiKey: z.string().describe('shown once; only its hash is stored'),
});

export function installTenantRoutes(router: Router, context: AppContext): void {
  router.post('/tenants', requireAdmin(context));
  route(
    router,
    {
      method: 'post',
      path: '/v1/tenants',
      summary: 'Create a tenant and its first API key (admin)',
      auth: 'admin',
      body: z.object({ name: z.string().trim().min(1).max(200) }),
      responses: { 201: { description: 'the tenant, with its API key (shown once)', schema: createdTenant } },
    },
    async ({ body }) => {
      const tenant = await createTenant(context.pool, { name: body.name, actor: 'admin' });
      return { status: 201, body: { id: tenant.id, name: tenant.name, apiKey: tenant.apiKey } };
    },
  );
}
