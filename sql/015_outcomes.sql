-- VAPI's endedReason → what it means for the call, the contact and the account: one class per
-- reason, from VAPI's own grouping (docs page calls/call-ended-reason, VapiAI/docs
-- fern/calls/call-ended-reason.mdx @ eabfa53, 2026-08-20). Every rule about a reason is here once;
-- apply_call_result (034) and the campaign restart (038) only ask for the class.
--
-- Classes (the outcome stored on the call follows from the class):
--   answered     the customer was reached: a normal end, or a transfer, forward or hook that failed
--                after the customer was on the line. Never redialed automatically.
--   no_answer    it rang, nobody answered (SIP 408/480 included; VAPI: "phone rang but no answer").
--   busy         the line was busy.
--   voicemail    voicemail answered.
--   retry_later  outcome failed: a carrier, provider, network or VAPI-side fault (vapifault), or a
--                temporary limit. Retried by the campaign's rules for 'failed'.
--   final        outcome failed for good for this contact (misdialed, a number this phone number
--                cannot call, blocked as fraud, a call an operator cancelled or deleted). Never retried.
--   account      outcome failed, and not the contact's doing: billing (credits, frozen subscription,
--                wallet), a credential, quota, plan or configuration fault that would fail every call
--                of the account. The tenant is stopped (item 5) and the contact's attempt is not used up.
-- Unknown reasons (VAPI adds values) and a missing reason are retry_later: the call failed for an
-- unknown cause, so the campaign's 'failed' retry rules apply and max_attempts bounds the redials:
-- never a blind redial of someone reached, never a contact given up on for a reason we cannot read.

-- Internal: the class of a reason by the first rule that matches it, null when none does.
create or replace function dialer._ended_reason_rule(reason text) returns text
  language sql immutable parallel safe
as $$
  select case
    -- VAPI's own infrastructure or platform credentials ("vapifault": not the account's doing,
    -- usually not charged), whatever the provider or status code in the name.
    when reason like 'call.in-progress.error-vapifault-%' or reason like 'call.start.error-vapifault-%' then 'retry_later'
    -- The customer was reached.
    when reason in ('customer-ended-call', 'assistant-ended-call', 'assistant-said-end-call-phrase',
                    'assistant-ended-call-with-hangup-task', 'assistant-ended-call-after-message-spoken',
                    'assistant-forwarded-call', 'silence-timed-out', 'exceeded-max-duration',
                    'call.in-progress.twilio-completed-call', 'call.in-progress.sip-completed-call', 'vonage-completed',
                    'call.forwarding.operator-busy', 'call.forwarding.no-answer', 'call.in-progress.error-transfer-failed')
      or reason like 'customer-ended-call-%'
      or reason like 'call.ending.hook-executed-%'
      or reason like 'call.in-progress.error-warm-transfer-%'
      then 'answered'
    -- It rang and nobody answered; a ringing-phase hook or a hang-up before connect ends a call
    -- nobody picked up.
    when reason in ('customer-did-not-answer',
                    'call.in-progress.error-providerfault-outbound-sip-408-request-timeout',
                    'call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable',
                    'call.ringing.sip-inbound-caller-hungup-before-call-connect')
      or reason like 'call.ringing.hook-executed-%'
      then 'no_answer'
    when reason = 'customer-busy' then 'busy'
    when reason = 'voicemail' then 'voicemail'
    -- For good, for this contact.
    when reason in ('twilio-reported-customer-misdialed', 'call.start.error-vapi-number-international',
                    'call.start.error-fraud-check-failed', 'customer-did-not-give-microphone-permission',
                    'manually-canceled', 'scheduled-call-deleted', 'call-deleted')
      then 'final'
    -- Temporary limits at the start: the plan's concurrency, the VAPI number's daily outbound limit.
    when reason in ('call.start.error-subscription-concurrency-limit-reached',
                    'call.start.error-vapi-number-outbound-daily-limit', 'call.start.error-get-customer')
      then 'retry_later'
    -- Billing, and every other start error: the assistant, phone number, resources, transport or plan
    -- of the account is wrong, so every call would fail alike.
    when reason like 'call.start.%'
      or reason in ('call-start-error-neither-assistant-nor-server-set', 'assistant-not-found', 'assistant-not-valid')
      or reason like 'assistant-request-returned-%'
      or reason like 'call.in-progress.error-configfault-%'
      or reason like '%pipeline-no-available-llm-model'
      then 'account'
    -- A provider (model, voice, transcriber, SIP trunk) with the account's credentials: a server
    -- error is temporary; a credential, quota, plan or configuration fault is the account's.
    when (reason like 'pipeline-error-%' or reason like 'call.in-progress.error-providerfault-%')
         and reason ~ '-5[0-9][0-9]-'
      then 'retry_later'
    when (reason like 'pipeline-error-%' or reason like 'call.in-progress.error-providerfault-%')
         and reason ~ ('(-40[0-37]-|unauthorized|api-key|credentials|auth-failed|access-denied|forbidden|quota'
                       '|credits|insufficent-funds|payment|blocked-|requested-upgrade|not-found|invalid-|not-fine-tuned'
                       '|free-users|paid-only|disabled-by-owner|creator-plus|must-be-a-valid|missing-samples'
                       '|character-limit|no-such-model|not-in-organization)')
      then 'account'
    -- Everything else a provider, the carrier, the network or a VAPI worker did mid-call.
    -- worker-shutdown: VAPI's page says "the call should be retried automatically" without saying
    -- by whom, and nothing in the OpenAPI re-places an outbound call; so we retry it.
    when reason like 'pipeline-error-%' or reason like 'call.in-progress.error-%'
      or reason in ('twilio-failed-to-connect-call', 'vonage-failed-to-connect-call', 'vonage-rejected',
                    'vonage-disconnected', 'phone-call-provider-closed-websocket',
                    'phone-call-provider-bypass-enabled-but-no-call-received', 'call.ringing.error-sip-inbound-call-failed-to-connect',
                    'worker-shutdown', 'assistant-join-timed-out', 'assistant-request-failed')
      then 'retry_later'
  end
$$;
comment on function dialer._ended_reason_rule(text) is
  'Internal: the class of a VAPI endedReason by the first explicit rule that matches it; null when no rule does (ended_reason_class then gives the default).';

-- Why: retries, the account's state, reports and campaign completion speak in a few classes,
-- not hundreds of reasons.
create or replace function dialer.ended_reason_class(reason text) returns text
  language sql immutable parallel safe
as $$ select coalesce(dialer._ended_reason_rule(reason), 'retry_later') $$;
comment on function dialer.ended_reason_class(text) is
  'The class of a VAPI endedReason: answered (customer reached; a failed transfer/forward/hook after it too), no_answer (SIP 408/480 too), busy, voicemail, retry_later (carrier, provider, VAPI-side or temporary fault), final (failed for good for this contact: misdialed, number not callable, cancelled), account (billing, credential, quota, configuration: the tenant is stopped, the attempt not used up). Unknown and null reasons: retry_later.';

-- Why: the outcome stored on a call is one of five, derived from the class.
create or replace function dialer.class_outcome(class text) returns text
  language sql immutable parallel safe
as $$ select case when class in ('answered', 'no_answer', 'busy', 'voicemail') then class else 'failed' end $$;
comment on function dialer.class_outcome(text) is
  'The call outcome of an ended-reason class: answered, no_answer, busy, voicemail as such; retry_later, final and account → failed.';

create or replace function dialer.outcome_for(ended_reason text) returns text
  language sql immutable parallel safe
as $$ select dialer.class_outcome(dialer.ended_reason_class(ended_reason)) $$;
comment on function dialer.outcome_for(text) is
  'The outcome (answered | no_answer | busy | voicemail | failed) of a VAPI endedReason: class_outcome(ended_reason_class(ended_reason)); unknown or null reasons → failed.';

-- Internal: reasons after which the contact is finished for this campaign (no retry, no restart).
create or replace function dialer._is_final_reason(ended_reason text) returns boolean
  language sql immutable parallel safe
as $$ select dialer.ended_reason_class(ended_reason) = 'final' $$;
comment on function dialer._is_final_reason(text) is
  'Internal: ended_reason_class(ended_reason) = ''final'' (never retried, and a restarted campaign does not call the contact again).';

-- Why: psql users (and the tests) see every reason VAPI documents with what it means here.
create or replace view dialer.ended_reasons as
  select known.reason, dialer.ended_reason_class(known.reason) as class,
         dialer.outcome_for(known.reason) as outcome, dialer._ended_reason_rule(known.reason) is not null as explicit
  from dialer.vapi_ended_reasons known;
comment on view dialer.ended_reasons is
  'Every endedReason VAPI documents (table vapi_ended_reasons) with its class and outcome; explicit is false when only the default (retry_later) covers it.';
