// Calling rules by jurisdiction over HTTP: the rules in force and what this tenant switched off
// (GET /v1/compliance), the tenant's call profile (PUT /v1/compliance) and each campaign's
// (PUT /v1/compliance/campaigns/:id), the verdict for a number (GET /v1/compliance/check, the
// same answer as dialer.calling_allowed), the holidays of a jurisdiction, and emergency
// blackouts (CRUD under /v1/compliance/blackouts). Every change is audited and wakes the worker
// (it may free or hold calls now). The decisions are SQL's (sql/024_rules.sql, 044).
import type { Router } from 'express';
import { sql, type CommonQueryMethods } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { notifyWorker } from '../worker/wake.js';
import { callerOf } from './auth.js';
import { e164 } from './dnc.js';
import { idParams, instant, isoDate } from './schemas.js';
import { route } from './route.js';

const callType = z.enum(['solicitation', 'informational']);
const callTypeRow = z3.enum(['solicitation', 'informational']);
const ruleId = z.string().trim().min(1).max(100);

const ruleView = z.object({
  id: z.string(),
  jurisdiction: z.string(),
  summary: z.string(),
  appliesTo: z.array(z.string()),
  citation: z.string(),
  confidence: z.enum(['P', 'S', '?']).describe('P primary text, S secondary sources only, ? disputed'),
  shippedEnabled: z.boolean().describe('false: shipped switched off (a pending or disputed rule)'),
  shippedAs: z.string().nullable(),
});
const ruleRow = z3.object({
  id: z3.string(), jurisdiction: z3.string(), summary: z3.string(), applies_to: z3.array(z3.string()), citation: z3.string(),
  confidence: z3.enum(['P', 'S', '?']), enabled: z3.boolean(), shipped_as: z3.string().nullable(),
});
const profileView = z.object({
  callType,
  automatedVoice: z.boolean().describe('calls are made by an automated (AI) voice: rules for automated calls apply'),
  disabledRules: z.array(z.string()),
});
const campaignProfileView = z.object({
  id: z.uuid(),
  name: z.string(),
  callType: callType.nullable().describe("null: the tenant's"),
  automatedVoice: z.boolean().nullable().describe("null: the tenant's"),
  disabledRules: z.array(z.string()).describe("switched off for this campaign, on top of the tenant's"),
  subject: z.string().nullable().describe("what the calls are about: per-person caps count every campaign with the same subject (null: the tenant's shared default)"),
});
const complianceView = z.object({
  ruleSet: z.int().describe('the rule set in force (calls record the one that allowed them)'),
  tenant: profileView,
  campaigns: z.array(campaignProfileView).describe('campaigns (not deleted) whose profile differs from the tenant\'s'),
  switchedOff: z
    .array(z.object({ rule: z.string(), scope: z.enum(['tenant', 'campaign']), campaignId: z.uuid().nullable() }))
    .describe('every rule this tenant switched off, and where'),
  rules: z.array(ruleView).describe('every rule of the rule set in force'),
});

const tenantProfileRow = z3.object({ call_type: callTypeRow, automated_voice: z3.boolean(), disabled_rules: z3.array(z3.string()) });
const campaignProfileRow = z3.object({
  id: z3.string(), name: z3.string(), call_type: callTypeRow.nullable(), automated_voice: z3.boolean().nullable(),
  disabled_rules: z3.array(z3.string()), subject: z3.string().nullable(),
});
const toCampaignProfile = (row: z3.infer<typeof campaignProfileRow>) => ({
  id: row.id, name: row.name, callType: row.call_type, automatedVoice: row.automated_voice, disabledRules: row.disabled_rules, subject: row.subject,
});

const blackoutView = z.object({
  id: z.uuid(),
  jurisdiction: z.string().describe('US, US-LA, CA-BC, …'),
  county: z.string().nullable().describe('recorded; the gate holds the whole jurisdiction (contacts carry no county)'),
  startsAt: z.string(),
  endsAt: z.string(),
  reason: z.string(),
  appliesTo: z.array(callType),
  createdAt: z.string(),
});
const blackoutRow = z3.object({
  id: z3.string(), jurisdiction: z3.string(), county: z3.string().nullable(), starts_at: z3.string(), ends_at: z3.string(),
  reason: z3.string(), applies_to: z3.array(callTypeRow), created_at: z3.string(),
});
const blackoutColumns = sql.fragment`id, jurisdiction, county, starts_at, ends_at, reason, applies_to, created_at`;
const toBlackout = (row: z3.infer<typeof blackoutRow>) => ({
  id: row.id, jurisdiction: row.jurisdiction, county: row.county, startsAt: row.starts_at, endsAt: row.ends_at,
  reason: row.reason, appliesTo: row.applies_to, createdAt: row.created_at,
});
const jurisdiction = z.string().trim().toUpperCase().regex(/^(US|CA)(-[A-Z]{2})?$/, 'a jurisdiction code: US, CA, US-LA, CA-BC, …');
const blackoutBody = z
  .object({
    jurisdiction,
    county: z.string().trim().min(1).max(100).nullable().optional(),
    startsAt: instant,
    endsAt: instant,
    reason: z.string().trim().min(1).max(500),
    appliesTo: z.array(callType).min(1).optional().describe('default ["solicitation"]'),
  })
  .strict()
  .refine((body) => Date.parse(body.endsAt) > Date.parse(body.startsAt), { message: 'endsAt must be after startsAt', path: ['endsAt'] });

/** 400 naming the unknown ids when a list names a rule the rule set in force does not have. */
async function assertKnownRules(connection: CommonQueryMethods, rules: readonly string[], path: string): Promise<void> {
  const unknown = await connection.anyFirst(sql.type(z3.object({ rule_id: z3.string() }))`
    select wanted.rule_id from unnest(${sql.array([...rules], 'text')}) as wanted (rule_id)
    where not exists (select 1 from dialer.rules rule where rule.rule_set = dialer._current_rule_set() and rule.id = wanted.rule_id)`);
  if (unknown.length > 0) {
    throw new HttpError(400, 'validation_error', 'the request is not valid', unknown.map((id) => ({ path, message: `no rule "${id}" in the rule set in force` })));
  }
}

async function assertKnownJurisdiction(connection: CommonQueryMethods, code: string): Promise<void> {
  const known = await connection.maybeOneFirst(sql.unsafe`select 1 from dialer.jurisdictions where code = ${code}`);
  if (!known) throw new HttpError(400, 'validation_error', 'the request is not valid', [{ path: 'jurisdiction', message: `unknown jurisdiction "${code}"` }]);
}

export function installComplianceRoutes(router: Router, context: AppContext): void {
  const read = async (connection: CommonQueryMethods, tenantId: string) => {
    const tenant = await connection.one(sql.type(tenantProfileRow)`
      select call_type, automated_voice, disabled_rules from dialer.tenants where id = ${tenantId}`);
    const campaigns = await connection.any(sql.type(campaignProfileRow)`
      select id, name, call_type, automated_voice, disabled_rules, subject from dialer.campaigns
      where tenant_id = ${tenantId} and deleted_at is null
        and (call_type is not null or automated_voice is not null or cardinality(disabled_rules) > 0 or subject is not null)
      order by name, id`);
    const rules = await connection.any(sql.type(ruleRow)`
      select id, jurisdiction, summary, applies_to, citation, confidence, enabled, shipped_as
      from dialer.rules where rule_set = dialer._current_rule_set() order by id`);
    const ruleSet = await connection.oneFirst(sql.type(z3.object({ version: z3.number() }))`select dialer._current_rule_set() as version`);
    return {
      ruleSet,
      tenant: { callType: tenant.call_type, automatedVoice: tenant.automated_voice, disabledRules: tenant.disabled_rules },
      campaigns: campaigns.map(toCampaignProfile),
      switchedOff: [
        ...tenant.disabled_rules.map((rule) => ({ rule, scope: 'tenant' as const, campaignId: null })),
        ...campaigns.flatMap((campaign) => campaign.disabled_rules.map((rule) => ({ rule, scope: 'campaign' as const, campaignId: campaign.id }))),
      ],
      rules: rules.map((rule) => ({
        id: rule.id, jurisdiction: rule.jurisdiction, summary: rule.summary, appliesTo: rule.applies_to, citation: rule.citation,
        confidence: rule.confidence, shippedEnabled: rule.enabled, shippedAs: rule.shipped_as,
      })),
    };
  };

  route(
    router,
    {
      method: 'get',
      path: '/v1/compliance',
      summary: 'The calling rules in force, the call profile of the tenant and its campaigns, and every rule switched off',
      responses: { 200: { description: 'the compliance view', schema: complianceView } },
    },
    async (_input, _request, response) => ({ body: await read(context.pool, callerOf(response).tenantId) }),
  );

  route(
    router,
    {
      method: 'put',
      path: '/v1/compliance',
      summary: "Change the tenant's call profile; fields left out keep their value",
      description: 'disabledRules replaces the list; every id must be a rule of the rule set in force.',
      body: z.object({ callType: callType.optional(), automatedVoice: z.boolean().optional(), disabledRules: z.array(ruleId).max(200).optional() }).strict(),
      responses: { 200: { description: 'the compliance view after the change', schema: complianceView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const view = await context.pool.transaction(async (connection) => {
        if (body.disabledRules) await assertKnownRules(connection, body.disabledRules, 'disabledRules');
        await connection.query(sql.unsafe`
          update dialer.tenants set call_type = coalesce(${body.callType ?? null}, call_type),
                 automated_voice = coalesce(${body.automatedVoice ?? null}::boolean, automated_voice),
                 disabled_rules = coalesce(${body.disabledRules ? sql.array([...new Set(body.disabledRules)], 'text') : null}, disabled_rules),
                 updated_at = now()
          where id = ${caller.tenantId}`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'compliance', entityId: caller.tenantId, details: body });
        await notifyWorker(connection, 'compliance');
        return read(connection, caller.tenantId);
      });
      return { body: view };
    },
  );

  route(
    router,
    {
      method: 'put',
      path: '/v1/compliance/campaigns/:id',
      summary: "Change a campaign's call profile and subject; fields left out keep their value, null = the tenant's",
      params: idParams,
      body: z
        .object({
          callType: callType.nullable().optional(),
          automatedVoice: z.boolean().nullable().optional(),
          disabledRules: z.array(ruleId).max(200).optional(),
          subject: z.string().trim().min(1).max(200).nullable().optional(),
        })
        .strict(),
      responses: { 200: { description: 'the campaign profile', schema: campaignProfileView } },
    },
    async ({ params, body }, _request, response) => {
      const caller = callerOf(response);
      const row = await context.pool.transaction(async (connection) => {
        if (body.disabledRules) await assertKnownRules(connection, body.disabledRules, 'disabledRules');
        const keep = (field: keyof typeof body) => body[field] === undefined;
        const updated = await connection.maybeOne(sql.type(campaignProfileRow)`
          update dialer.campaigns set
            call_type = case when ${keep('callType')} then call_type else ${body.callType ?? null} end,
            automated_voice = case when ${keep('automatedVoice')} then automated_voice else ${body.automatedVoice ?? null}::boolean end,
            disabled_rules = coalesce(${body.disabledRules ? sql.array([...new Set(body.disabledRules)], 'text') : null}, disabled_rules),
            subject = case when ${keep('subject')} then subject else ${body.subject ?? null} end,
            updated_at = now()
          where id = ${params.id} and tenant_id = ${caller.tenantId} and deleted_at is null
          returning id, name, call_type, automated_voice, disabled_rules, subject`);
        if (!updated) throw notFound('campaign');
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'campaign_compliance', entityId: params.id, details: body });
        await notifyWorker(connection, 'compliance');
        return updated;
      });
      return { body: toCampaignProfile(row) };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/compliance/check',
      summary: 'May this tenant call this number now (or at `at`)? The rule that forbids it and when every rule allows it',
      description:
        'The answer of dialer.calling_allowed with the tenant\'s profile: the jurisdictions of the number\'s area code, of state and of postalCode (and of the contact, when the number is one) all apply; the strictest wins.',
      query: z
        .object({
          phone: z.string().trim().min(1).max(50).describe('any common format; national numbers are read as US'),
          state: z.string().trim().min(2).max(5).optional().describe('US state or Canadian province: FL, US-FL, ON, …'),
          postalCode: z.string().trim().min(3).max(10).optional().describe('US ZIP (12345, 12345-6789) or Canadian postal code (A1A 1A1)'),
          at: instant.optional().describe('default: now'),
        })
        .strict(),
      responses: {
        200: {
          description: 'the verdict',
          schema: z.object({
            at: z.string(),
            allowed: z.boolean(),
            rule: z.string().nullable().describe('a rule that forbids the call ("blackout:<id>", "do-not-call"); null when allowed'),
            nextAllowedAt: z.string().nullable().describe('the earliest instant >= at when every rule allows it; null if never'),
          }),
        },
      },
    },
    async ({ query }, _request, response) => {
      const { tenantId } = callerOf(response);
      const phone = e164(query.phone, 'phone');
      const at = query.at ?? context.clock.now().toISOString();
      const verdict = await context.pool.one(sql.type(z3.object({ allowed: z3.boolean(), rule: z3.string().nullable(), next_allowed_at: z3.string().nullable() }))`
        select allowed, rule, next_allowed_at
        from dialer.calling_allowed(${tenantId}, ${phone}, ${at}::timestamptz, ${query.state ?? null}, ${query.postalCode ?? null})`);
      return { body: { at: new Date(at).toISOString(), allowed: verdict.allowed, rule: verdict.rule, nextAllowedAt: verdict.next_allowed_at } };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/compliance/holidays',
      summary: 'The holidays of a jurisdiction between two dates (computed from the holiday rules in force)',
      query: z.object({ jurisdiction, from: isoDate, to: isoDate }).strict(),
      responses: {
        200: {
          description: 'holidays by date',
          schema: z.object({ data: z.array(z.object({ day: z.string(), name: z.string(), calendar: z.string(), observed: z.boolean() })) }),
        },
      },
    },
    async ({ query }) => {
      if (query.to < query.from) throw new HttpError(400, 'validation_error', 'the request is not valid', [{ path: 'to', message: 'to must not be before from' }]);
      if (Date.parse(query.to) - Date.parse(query.from) > 11 * 366 * 86_400_000) {
        throw new HttpError(400, 'validation_error', 'the request is not valid', [{ path: 'to', message: 'at most 10 years at a time' }]);
      }
      const rows = await context.pool.any(sql.type(z3.object({ day: z3.string(), name: z3.string(), calendar: z3.string(), observed: z3.boolean() }))`
        select day::text, name, calendar, observed from dialer.holidays(${query.jurisdiction}, ${query.from}::date, ${query.to}::date)`);
      return { body: { data: rows } };
    },
  );

  // Emergency blackouts.
  route(
    router,
    {
      method: 'get',
      path: '/v1/compliance/blackouts',
      summary: 'Emergency blackouts, latest end first',
      query: z.object({ current: z.enum(['true', 'false']).optional().describe('true: only those not yet ended') }).strict(),
      responses: { 200: { description: 'blackouts', schema: z.object({ data: z.array(blackoutView) }) } },
    },
    async ({ query }, _request, response) => {
      const { tenantId } = callerOf(response);
      const rows = await context.pool.any(sql.type(blackoutRow)`
        select ${blackoutColumns} from dialer.blackouts
        where tenant_id = ${tenantId} and (${query.current !== 'true'} or ends_at > now())
        order by ends_at desc, id limit 1000`);
      return { body: { data: rows.map(toBlackout) } };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/v1/compliance/blackouts',
      summary: 'Record an emergency blackout: calls to contacts of the jurisdiction wait while it is in force',
      body: blackoutBody,
      responses: { 201: { description: 'recorded', schema: blackoutView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const row = await context.pool.transaction(async (connection) => {
        await assertKnownJurisdiction(connection, body.jurisdiction);
        const created = await connection.one(sql.type(blackoutRow)`
          insert into dialer.blackouts (tenant_id, jurisdiction, county, starts_at, ends_at, reason, applies_to)
          values (${caller.tenantId}, ${body.jurisdiction}, ${body.county ?? null}, ${body.startsAt}::timestamptz, ${body.endsAt}::timestamptz,
                  ${body.reason}, ${sql.array(body.appliesTo ?? ['solicitation'], 'text')})
          returning ${blackoutColumns}`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'create', entity: 'blackout', entityId: created.id, details: body });
        await notifyWorker(connection, 'blackout');
        return created;
      });
      response.set('Location', `/v1/compliance/blackouts/${row.id}`);
      return { status: 201, body: toBlackout(row) };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/compliance/blackouts/:id',
      summary: 'One emergency blackout',
      params: idParams,
      responses: { 200: { description: 'the blackout', schema: blackoutView } },
    },
    async ({ params }, _request, response) => {
      const row = await context.pool.maybeOne(sql.type(blackoutRow)`
        select ${blackoutColumns} from dialer.blackouts where id = ${params.id} and tenant_id = ${callerOf(response).tenantId}`);
      if (!row) throw notFound('blackout');
      return { body: toBlackout(row) };
    },
  );

  route(
    router,
    {
      method: 'put',
      path: '/v1/compliance/blackouts/:id',
      summary: 'Replace an emergency blackout (e.g. end it early: set endsAt)',
      params: idParams,
      body: blackoutBody,
      responses: { 200: { description: 'the blackout', schema: blackoutView } },
    },
    async ({ params, body }, _request, response) => {
      const caller = callerOf(response);
      const row = await context.pool.transaction(async (connection) => {
        await assertKnownJurisdiction(connection, body.jurisdiction);
        const updated = await connection.maybeOne(sql.type(blackoutRow)`
          update dialer.blackouts set jurisdiction = ${body.jurisdiction}, county = ${body.county ?? null},
                 starts_at = ${body.startsAt}::timestamptz, ends_at = ${body.endsAt}::timestamptz, reason = ${body.reason},
                 applies_to = ${sql.array(body.appliesTo ?? ['solicitation'], 'text')}
          where id = ${params.id} and tenant_id = ${caller.tenantId}
          returning ${blackoutColumns}`);
        if (!updated) throw notFound('blackout');
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'blackout', entityId: params.id, details: body });
        await notifyWorker(connection, 'blackout');
        return updated;
      });
      return { body: toBlackout(row) };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/v1/compliance/blackouts/:id',
      summary: 'Delete an emergency blackout (its calls may be dialed at once)',
      params: idParams,
      responses: { 204: { description: 'deleted' } },
    },
    async ({ params }, _request, response) => {
      const caller = callerOf(response);
      await context.pool.transaction(async (connection) => {
        const deleted = await connection.maybeOneFirst(sql.unsafe`
          delete from dialer.blackouts where id = ${params.id} and tenant_id = ${caller.tenantId} returning id`);
        if (!deleted) throw notFound('blackout');
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'delete', entity: 'blackout', entityId: params.id });
        await notifyWorker(connection, 'blackout');
      });
      return { status: 204 };
    },
  );
}
