// The REST API under /v1. Each resource installs its routes from its own module; tenant routes
// sit behind requireApiKey, so a tenant only ever reaches its own rows.
import express, { type Express, type Router } from 'express';
import type { AppContext } from '../context.js';
import { requireApiKey } from './auth.js';
import { rateLimitPerApiKey } from './rateLimit.js';
import { installApiDocs } from './docs.js';
import { installTenantRoutes } from './tenants.js';
import { installApiKeyRoutes } from './apiKeys.js';
import { installSettingsRoutes } from './settings.js';
import { installImportRoutes } from './imports.js';
import { installContactRoutes } from './contacts.js';
import { installCampaignRoutes } from './campaigns.js';
import { installCampaignLifecycleRoutes } from './campaignLifecycle.js';
import { installDncRoutes } from './dnc.js';
import { installDncCsvRoutes } from './dncCsv.js';
import { installCallRoutes } from './calls.js';
import { installDirectCallRoutes } from './directCalls.js';
import { installSchedulerRoutes } from './scheduler.js';
import { installCampaignWaitingRoutes } from './campaignWaiting.js';
import { installEventRoutes } from '../events/stream.js';
import { installCallStatsRoutes } from './callStats.js';
import { installAdminTickRoutes } from './adminTick.js';
import { installComplianceRoutes } from './compliance.js';
import { installPhoneNumberRoutes } from './phoneNumbers.js';

export type RouteInstaller = (router: Router, context: AppContext) => void;

/** Routes reachable without an API key (each checks its own credential, e.g. the admin token). */
const publicRoutes: RouteInstaller[] = [installTenantRoutes, installAdminTickRoutes];

/** Routes of one tenant: the caller is in response.locals (see auth.ts callerOf). */
const tenantRoutes: RouteInstaller[] = [installApiKeyRoutes, installSettingsRoutes, installCampaignRoutes, installCampaignLifecycleRoutes, installDncRoutes, installDncCsvRoutes, installCallRoutes, installDirectCallRoutes, installSchedulerRoutes, installContactRoutes, installImportRoutes, installCampaignWaitingRoutes, installCallStatsRoutes, installEventRoutes,
  installComplianceRoutes, installPhoneNumberRoutes];

export function installApi(app: Express, context: AppContext): void {
  installApiDocs(app);
  const v1 = express.Router();
  v1.use(express.json({ limit: '1mb' }));
  for (const install of publicRoutes) install(v1, context);
  v1.use(requireApiKey(context));
  v1.use(rateLimitPerApiKey());
  for (const install of tenantRoutes) install(v1, context);
  app.use('/v1', v1);
}
