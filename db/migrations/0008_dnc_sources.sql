-- Up Migration
-- Opt-outs that stick: every do-not-call entry says where it came from and, for an opt-out
-- heard during a call, which call; each tenant names what in a call means "do not call me".

-- Rows listed before this migration came through the API (the only way in until now). Later rows
-- inserted without a source (straight from psql) are an admin's: the default becomes 'admin'.
alter table dialer.dnc
  add column source text not null default 'api',
  add column source_call_id uuid,
  add constraint dnc_source_valid check (source in ('api', 'import', 'in-call', 'admin')),
  add constraint dnc_source_call_in_call check (source_call_id is null or source = 'in-call'),
  add constraint dnc_source_call_fk foreign key (source_call_id) references dialer.calls (id) on delete set null;
alter table dialer.dnc alter column source set default 'admin';
-- GET /v1/dnc pages newest first: read in that order instead of sorting the list for each page.
create index dnc_tenant_created_idx on dialer.dnc (tenant_id, created_at desc, phone desc);
-- The foreign key's check when a call is deleted (a tenant's cascade) probes this, not the list.
create index dnc_source_call_idx on dialer.dnc (source_call_id) where source_call_id is not null;
comment on column dialer.dnc.source is
  'Where the entry came from: api (POST /v1/dnc), import (POST /v1/dnc/import), in-call (an opt-out heard during a call), admin (inserted by hand; the default).';
comment on column dialer.dnc.source_call_id is 'For an in-call opt-out: the call during which the person opted out.';
comment on column dialer.dnc.created_at is 'When the number was first listed; a later listing keeps it.';

-- The tool name follows the pattern VAPI's OpenAPI gives function names (OpenAIFunction.name).
alter table dialer.tenants
  add column opt_out_structured_data_field text default 'optOut',
  add column opt_out_tool_name text,
  add constraint tenants_opt_out_field_length check (length(opt_out_structured_data_field) between 1 and 200),
  add constraint tenants_opt_out_tool_name_valid check (opt_out_tool_name ~ '^[A-Za-z0-9_-]{1,64}$');
comment on column dialer.tenants.opt_out_structured_data_field is
  'The field of an end-of-call-report''s analysis.structuredData that, when true, puts the number on do-not-call (dots separate nested keys); null = structured data is not read.';
comment on column dialer.tenants.opt_out_tool_name is
  'The assistant tool whose call (a tool-calls message) puts the number on do-not-call; null = none.';

-- Down Migration
alter table dialer.tenants
  drop column opt_out_tool_name,
  drop column opt_out_structured_data_field;
drop index dialer.dnc_source_call_idx;
drop index dialer.dnc_tenant_created_idx;
alter table dialer.dnc
  drop column source_call_id,
  drop column source;
