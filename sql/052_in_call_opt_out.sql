-- In-call opt-out: what in a VAPI webhook means "do not call me again", decided from the
-- message as stored (call_events.payload -> 'message') and the tenant's settings
-- (tenants.opt_out_structured_data_field, default 'optOut'; tenants.opt_out_tool_name).
--
-- Where VAPI puts a tool's name differs between its OpenAPI document and its docs pages, so
-- every place is read: a tool-calls message's toolCallList[].function.name (OpenAPI ToolCall),
-- toolCallList[].name (docs, "server-url/events" and "tools/custom-tools"),
-- toolWithToolCallList[].toolCall.function.name, .function.name and .name; an
-- end-of-call-report's artifact.messages[] of role tool_calls, toolCalls[].function.name (so an
-- opt-out sticks even when the tool-calls webhook itself was lost or not requested).

-- Internal: every tool call of a tool-calls message, wherever VAPI puts its id and name.
create or replace function dialer._tool_calls_of(p_message jsonb)
  returns table (tool_call_id text, name text)
  language sql immutable parallel safe
as $$
  select item ->> 'id', coalesce(item -> 'function' ->> 'name', item ->> 'name')
  from jsonb_array_elements(case when jsonb_typeof(p_message -> 'toolCallList') = 'array' then p_message -> 'toolCallList' end) item
  where p_message ->> 'type' = 'tool-calls'
  union all
  select coalesce(item -> 'toolCall' ->> 'id', item ->> 'id'),
         coalesce(item -> 'toolCall' -> 'function' ->> 'name', item -> 'function' ->> 'name', item ->> 'name')
  from jsonb_array_elements(case when jsonb_typeof(p_message -> 'toolWithToolCallList') = 'array' then p_message -> 'toolWithToolCallList' end) item
  where p_message ->> 'type' = 'tool-calls'
$$;
comment on function dialer._tool_calls_of(jsonb) is
  'Internal: (tool_call_id, name) of every entry of a tool-calls message''s toolCallList[] and toolWithToolCallList[], in each shape VAPI documents; the id is null where the entry has none.';

-- Why: a tool call needs an answer naming its id: the opt-out tool's calls in one message.
create or replace function dialer.opt_out_tool_calls(p_message jsonb, p_tool_name text)
  returns table (tool_call_id text, name text)
  language sql immutable parallel safe
as $$
  select distinct tool_call_id, name
  from dialer._tool_calls_of(p_message)
  where p_tool_name is not null and name = p_tool_name and tool_call_id is not null
  order by tool_call_id
$$;
comment on function dialer.opt_out_tool_calls(jsonb, text) is
  'The calls to the tool p_tool_name in a VAPI tool-calls message (toolCallList[] and toolWithToolCallList[], every shape VAPI documents) that have an id, one row per id: what to answer. Empty for other messages or a null tool name.';

-- Why: the decision, pure, so it can be asked of any message: structured data says so, or the
-- assistant called the opt-out tool (live, or as recorded in the report's messages). A string
-- "true" counts like true: honouring a revocation too readily is the safe side.
create or replace function dialer.opt_out_requested(p_message jsonb, p_structured_data_field text, p_tool_name text)
  returns text
  language sql immutable parallel safe
as $$
  select case
    when p_message ->> 'type' = 'end-of-call-report' and p_structured_data_field is not null
         and jsonb_typeof(p_message -> 'analysis' -> 'structuredData') = 'object'
         and lower(p_message -> 'analysis' -> 'structuredData' #>> string_to_array(p_structured_data_field, '.')) = 'true'
      then format('structuredData.%s is true', p_structured_data_field)
    when p_tool_name is not null and exists (select 1 from dialer._tool_calls_of(p_message) tool_call where tool_call.name = p_tool_name)
      then format('the assistant called %s', p_tool_name)
    when p_message ->> 'type' = 'end-of-call-report' and p_tool_name is not null
         and jsonb_typeof(p_message -> 'artifact' -> 'messages') = 'array'
         and exists (
           select 1
           from jsonb_array_elements(p_message -> 'artifact' -> 'messages') message
           cross join lateral jsonb_array_elements(case when jsonb_typeof(message -> 'toolCalls') = 'array' then message -> 'toolCalls' end) tool_call
           where message ->> 'role' = 'tool_calls'
             and coalesce(tool_call -> 'function' ->> 'name', tool_call ->> 'name') = p_tool_name)
      then format('the assistant called %s', p_tool_name)
  end
$$;
comment on function dialer.opt_out_requested(jsonb, text, text) is
  'Why a VAPI webhook message is an opt-out, or null: an end-of-call-report whose analysis.structuredData has p_structured_data_field (dots separate nested keys) true (JSON true or the string "true", any case), or a call to the tool p_tool_name (a tool-calls message, or a tool_calls entry of the report''s artifact.messages). Either setting null disables its test.';

-- Why: the webhook apply path's one statement: decide with the tenant's settings, list the
-- call's number (source in-call, this call) and cancel its pending calls, at once. Idempotent:
-- the same message applied again changes nothing more.
create or replace function dialer.apply_in_call_opt_out(p_call_id uuid, p_message jsonb, at timestamptz,
  out reason text, out phone text, out added boolean, out cancelled_calls integer, out tool_calls jsonb)
  language plpgsql volatile
as $$
declare
  v_tenant_id uuid;
  v_phone text;
  v_field text;
  v_tool text;
begin
  select call.tenant_id, call.phone, tenant.opt_out_structured_data_field, tenant.opt_out_tool_name
  into v_tenant_id, v_phone, v_field, v_tool
  from dialer.calls call join dialer.tenants tenant on tenant.id = call.tenant_id
  where call.id = p_call_id;
  tool_calls := '[]';
  if not found then
    return;
  end if;
  reason := dialer.opt_out_requested(p_message, v_field, v_tool);
  if reason is null then
    return;
  end if;
  select opted.phone, opted.added, opted.cancelled_calls into phone, added, cancelled_calls
  from dialer.opt_out(v_tenant_id, v_phone, 'in-call', p_call_id, at, format('opted out during the call: %s', reason)) opted;
  -- The audit log holds every change to the list; this one's actor is the call's webhook.
  if added or cancelled_calls > 0 then
    insert into dialer.audit_log (tenant_id, actor, action, entity, entity_id, details, at)
    values (v_tenant_id, 'webhook', 'add', 'dnc', phone,
            jsonb_build_object('source', 'in-call', 'callId', p_call_id, 'reason', reason, 'added', added, 'cancelledCalls', cancelled_calls), at);
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('toolCallId', tool.tool_call_id, 'name', tool.name)), '[]')
  into tool_calls
  from dialer.opt_out_tool_calls(p_message, v_tool) tool;
end
$$;
comment on function dialer.apply_in_call_opt_out(uuid, jsonb, timestamptz) is
  'Applies a VAPI webhook message about a call: when dialer.opt_out_requested says it is an opt-out (with the tenant''s opt_out_structured_data_field and opt_out_tool_name), lists the call''s number with dialer.opt_out (source in-call, source_call_id = the call) and cancels its pending calls, audited (actor webhook) when that changed anything. Returns the reason (null: not an opt-out, nothing done), the number, added, cancelled_calls, and tool_calls = [{toolCallId, name}] of the opt-out tool to answer.';

-- Why: an end-of-call-report can be lost like any webhook; reconciliation then reads the Call
-- (GET /call/{id}), whose analysis and artifact are the report's, so an opt-out in them sticks
-- all the same. One decision (opt_out_requested) for both: the Call is read as the report it stands for.
create or replace function dialer.apply_call_object_opt_out(p_call_id uuid, p_call jsonb, at timestamptz,
  out reason text, out added boolean, out cancelled_calls integer)
  language sql volatile
as $$
  select opted.reason, opted.added, opted.cancelled_calls
  from dialer.apply_in_call_opt_out(
    p_call_id,
    jsonb_build_object('type', 'end-of-call-report', 'analysis', p_call -> 'analysis', 'artifact', p_call -> 'artifact'),
    at) opted
$$;
comment on function dialer.apply_call_object_opt_out(uuid, jsonb, timestamptz) is
  'Reconciliation''s in-call opt-out: apply_in_call_opt_out for a VAPI Call object read with GET /call/{id} (its analysis and artifact read as the end-of-call-report''s: structuredData, or the opt-out tool in artifact.messages). Returns the reason (null: not an opt-out), whether the number was added, and how many pending calls were cancelled.';
