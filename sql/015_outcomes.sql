-- VAPI's endedReason → our outcome, and which reasons must never be redialed. VAPI's list of
-- reasons is open and grows: unknown reasons are 'failed' (so retry rules still apply) and never
-- an error.

-- Why: retries, reports and campaign completion speak in five outcomes, not hundreds of reasons.
create or replace function dialer.outcome_for(ended_reason text) returns text
  language sql immutable parallel safe
as $$
  select case
    when ended_reason = 'customer-did-not-answer' then 'no_answer'
    when ended_reason = 'customer-busy' then 'busy'
    when ended_reason = 'voicemail' then 'voicemail'
    when ended_reason in ('customer-ended-call', 'assistant-ended-call', 'assistant-said-end-call-phrase',
                          'assistant-ended-call-with-hangup-task', 'assistant-ended-call-after-message-spoken',
                          'assistant-forwarded-call', 'silence-timed-out', 'exceeded-max-duration',
                          'call.in-progress.twilio-completed-call', 'call.in-progress.sip-completed-call',
                          'vonage-completed')
      or ended_reason like 'customer-ended-call-%'
      then 'answered'
    else 'failed'
  end
$$;
comment on function dialer.outcome_for(text) is
  'The outcome (answered | no_answer | busy | voicemail | failed) of a VAPI endedReason: customer-did-not-answer → no_answer, customer-busy → busy, voicemail → voicemail, normal endings of a connected call (customer-/assistant-ended-call…, silence-timed-out, exceeded-max-duration, …-completed-call, vonage-completed) → answered; anything else, unknown or null reasons included → failed.';

-- Internal: reasons after which a number must not be dialed again for this call: a wrong number or
-- a setup problem that a retry would only repeat (VAPI.md). A concurrency-limit refusal is worth
-- a later retry, so it is not final.
create or replace function dialer._is_final_reason(ended_reason text) returns boolean
  language sql immutable parallel safe
as $$
  select coalesce(
    ended_reason in ('twilio-reported-customer-misdialed', 'assistant-not-found', 'assistant-not-valid',
                     'manually-canceled', 'scheduled-call-deleted', 'call-deleted',
                     'call-start-error-neither-assistant-nor-server-set')
    or ended_reason like 'assistant-request-%'
    or ((ended_reason like 'call.start.error-%' or ended_reason like 'call.start.assistant-%')
        and ended_reason <> 'call.start.error-subscription-concurrency-limit-reached'),
    false)
$$;
comment on function dialer._is_final_reason(text) is
  'Internal: true for ended reasons that must never lead to a retry (misdialed number, call.start.error-* setup failures except …-subscription-concurrency-limit-reached, assistant not found/valid, assistant-request failures, manual cancel, deleted call).';
