// Create and edit: every field of the API, each error from the API shown next to its field
// (the detail's path, e.g. window.start, names the field).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, get } from '../api';
import { navigate } from '../router';
import { ErrorBox, Field, Select } from '../ui';

const dayNames = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const retryOutcomes = ['no_answer', 'busy', 'voicemail', 'failed'] as const;
const zones: string[] = (Intl as any).supportedValuesOf?.('timeZone') ?? ['UTC', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'Europe/London'];

type Form = {
  name: string;
  assistantId: string;
  phoneNumberId: string;
  /** More caller numbers of the pool (registered VAPI ids), comma-separated; empty: one number. */
  morePhoneNumberIds: string;
  timeZone: string;
  windowStart: string;
  windowEnd: string;
  days: number[];
  frequency: string;
  maxAttempts: string;
  retryDelay: string;
  perOutcome: Record<string, string>;
  retryOutcomes: string[];
  /** The retry sequence in words: "120, 1440 later" (minutes before each next attempt, optionally a half of the window). */
  retrySequence: string;
  maxConcurrency: string;
  startsOn: string;
  endsOn: string;
  blackoutDates: string[];
  variables: [string, string][];
};

const blank: Form = {
  name: '',
  assistantId: '',
  phoneNumberId: '',
  morePhoneNumberIds: '',
  timeZone: 'America/New_York',
  windowStart: '09:00',
  windowEnd: '17:00',
  days: [1, 2, 3, 4, 5],
  frequency: 'once',
  maxAttempts: '3',
  retryDelay: '60',
  perOutcome: {},
  retryOutcomes: ['no_answer', 'busy', 'voicemail', 'failed'],
  retrySequence: '',
  maxConcurrency: '5',
  startsOn: '',
  endsOn: '',
  blackoutDates: [],
  variables: [],
};

function fromCampaign(c: any): Form {
  const perOutcome: Record<string, string> = {};
  if (typeof c.retryDelayMinutes === 'object') for (const [k, v] of Object.entries(c.retryDelayMinutes)) perOutcome[k] = String(v);
  return {
    name: c.name,
    assistantId: c.assistantId,
    phoneNumberId: c.phoneNumberId,
    morePhoneNumberIds: (c.phoneNumberIds ?? []).slice(1).join(', '),
    timeZone: c.timeZone,
    windowStart: c.window.start,
    windowEnd: c.window.end,
    days: c.days,
    frequency: c.frequency,
    maxAttempts: String(c.maxAttempts),
    retryDelay: typeof c.retryDelayMinutes === 'number' ? String(c.retryDelayMinutes) : '60',
    perOutcome,
    retryOutcomes: c.retryOutcomes,
    retrySequence: (c.retrySequence ?? []).map((step: any) => [step.afterMinutes, step.shiftWindow].filter((part) => part != null).join(' ')).join(', '),
    maxConcurrency: String(c.maxConcurrency),
    startsOn: c.startsOn ?? '',
    endsOn: c.endsOn ?? '',
    blackoutDates: c.blackoutDates,
    variables: Object.entries(c.variables ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  };
}

const pool = (form: Form) => [form.phoneNumberId.trim(), ...form.morePhoneNumberIds.split(/[\s,]+/).filter(Boolean)];

const number = (text: string) => (text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text));

/** "120, 1440 later" → [{afterMinutes: 120}, {afterMinutes: 1440, shiftWindow: 'later'}]; the API judges each entry. */
const sequenceOf = (text: string) =>
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [minutes = '', shift] = entry.split(/\s+/);
      return { afterMinutes: number(minutes), ...(shift ? { shiftWindow: shift } : {}) };
    });

function bodyOf(form: Form, editing: boolean) {
  const perOutcome = Object.fromEntries(Object.entries(form.perOutcome).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, number(v)]));
  return {
    name: form.name,
    assistantId: form.assistantId,
    // A pool is sent whole (saving the form never shrinks it); one number as phoneNumberId.
    ...(pool(form).length > 1 ? { phoneNumberIds: pool(form) } : { phoneNumberId: form.phoneNumberId }),
    timeZone: form.timeZone,
    window: { start: form.windowStart, end: form.windowEnd },
    days: form.days,
    frequency: form.frequency,
    maxAttempts: number(form.maxAttempts),
    retryDelayMinutes: Object.keys(perOutcome).length > 0 ? perOutcome : number(form.retryDelay),
    retryOutcomes: form.retryOutcomes,
    retrySequence: sequenceOf(form.retrySequence),
    maxConcurrency: number(form.maxConcurrency),
    ...(form.startsOn || editing ? { startsOn: form.startsOn || null } : {}),
    ...(form.endsOn || editing ? { endsOn: form.endsOn || null } : {}),
    blackoutDates: form.blackoutDates,
    variables: Object.fromEntries(form.variables.filter(([k]) => k.trim() !== '')),
  };
}

export function CampaignForm({ id }: { id?: string }) {
  const [form, setForm] = useState<Form>(blank);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [newBlackout, setNewBlackout] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (id) get(`/v1/campaigns/${id}`).then((c) => setForm(fromCampaign(c)), setError);
  }, [id]);
  const set = <K extends keyof Form>(key: K) => (value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const err = (path: string) => errors[path];
  const zoneMatches = useMemo(() => zones, []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      const saved = id ? await api('PATCH', `/v1/campaigns/${id}`, { body: bodyOf(form, true) }) : await api('POST', '/v1/campaigns', { body: bodyOf(form, false) });
      navigate(`/campaigns/${saved.id}`);
    } catch (caught) {
      if (caught instanceof ApiError) {
        const fields = caught.byField();
        // Paths such as days.2 or blackoutDates.0 belong to their list's field.
        const grouped: Record<string, string> = {};
        for (const [path, message] of Object.entries(fields)) {
          const key = /^(days|blackoutDates|retryOutcomes|retrySequence|variables|phoneNumberIds)\b/.exec(path)?.[1] ?? (path.startsWith('retryDelayMinutes') ? 'retryDelayMinutes' : path);
          grouped[key] ??= message;
        }
        setErrors(grouped);
        const unplaced = Object.keys(grouped).filter((key) => !fieldPaths.includes(key));
        if (Object.keys(grouped).length === 0 || unplaced.length > 0) setError(caught);
      } else setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>{id ? 'Edit campaign' : 'New campaign'}</h1>
      <form onSubmit={submit} aria-label={id ? 'Edit campaign' : 'New campaign'} noValidate>
        <fieldset>
          <legend>Campaign</legend>
          <Field label="Name" value={form.name} onInput={set('name')} error={err('name')} required />
          <Field label="VAPI assistant id" value={form.assistantId} onInput={set('assistantId')} error={err('assistantId')} required />
          <Field label="VAPI phone number id" value={form.phoneNumberId} onInput={set('phoneNumberId')} error={err('phoneNumberId')} required />
          <Field
            label="More caller numbers"
            value={form.morePhoneNumberIds}
            onInput={set('morePhoneNumberIds')}
            error={err('phoneNumberIds')}
            hint="registered VAPI phone number ids, comma-separated: each call gets a local, least-used one"
          />
        </fieldset>
        <fieldset>
          <legend>When to call</legend>
          <Field label="Time zone" value={form.timeZone} onInput={set('timeZone')} error={err('timeZone')} list="zones" hint="IANA zone: type to search" autoComplete="off" />
          <datalist id="zones">
            {zoneMatches.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <div class="row">
            <Field label="Window start" type="time" value={form.windowStart} onInput={set('windowStart')} error={err('window.start') ?? err('window')} />
            <Field label="Window end" type="time" value={form.windowEnd} onInput={set('windowEnd')} error={err('window.end')} hint="same as start: all day" />
          </div>
          <fieldset class={`days${err('days') ? ' invalid' : ''}`}>
            <legend>Days</legend>
            {dayNames.map((name, index) => (
              <label key={name} class="check">
                <input
                  type="checkbox"
                  checked={form.days.includes(index + 1)}
                  onChange={(event) => set('days')((event.target as HTMLInputElement).checked ? [...form.days, index + 1].sort() : form.days.filter((d) => d !== index + 1))}
                />
                {name}
              </label>
            ))}
            {err('days') && (
              <small class="error" role="alert">
                {err('days')}
              </small>
            )}
          </fieldset>
          <div class="row">
            <Field label="Starts on" type="date" value={form.startsOn} onInput={set('startsOn')} error={err('startsOn')} />
            <Field label="Ends on" type="date" value={form.endsOn} onInput={set('endsOn')} error={err('endsOn')} />
          </div>
          <fieldset class={err('blackoutDates') ? 'invalid' : ''}>
            <legend>Blackout dates</legend>
            <ul class="chips" aria-label="Blackout dates">
              {form.blackoutDates.map((date) => (
                <li key={date}>
                  {date}{' '}
                  <button type="button" aria-label={`Remove blackout date ${date}`} onClick={() => set('blackoutDates')(form.blackoutDates.filter((d) => d !== date))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
            <div class="row">
              <Field label="Blackout date to add" type="date" value={newBlackout} onInput={setNewBlackout} />
              <button
                type="button"
                onClick={() => {
                  if (newBlackout && !form.blackoutDates.includes(newBlackout)) set('blackoutDates')([...form.blackoutDates, newBlackout].sort());
                  setNewBlackout('');
                }}
              >
                Add blackout date
              </button>
            </div>
            {err('blackoutDates') && (
              <small class="error" role="alert">
                {err('blackoutDates')}
              </small>
            )}
          </fieldset>
        </fieldset>
        <fieldset>
          <legend>Attempts</legend>
          <div class="row">
            <Select label="Frequency" value={form.frequency} onChange={set('frequency')} options={[['once', 'Once'], ['daily', 'Daily'], ['weekly', 'Weekly']]} error={err('frequency')} />
            <Field label="Max attempts" type="number" min={1} max={20} value={form.maxAttempts} onInput={set('maxAttempts')} error={err('maxAttempts')} />
            <Field label="Max concurrent calls" type="number" min={1} value={form.maxConcurrency} onInput={set('maxConcurrency')} error={err('maxConcurrency')} />
          </div>
          <Field label="Retry delay (minutes)" type="number" min={0} value={form.retryDelay} onInput={set('retryDelay')} error={err('retryDelayMinutes')} hint="for every outcome, unless set per outcome below" />
          <Field
            label="Retry sequence"
            value={form.retrySequence}
            onInput={set('retrySequence')}
            error={err('retrySequence')}
            hint="minutes before attempt 2, 3, …, comma-separated, each optionally 'later' or 'earlier' (that half of the window), e.g. 120, 1440 later; empty: the retry delay"
          />
          <fieldset>
            <legend>Retry these outcomes, after (minutes)</legend>
            {retryOutcomes.map((outcome) => (
              <div class="row" key={outcome}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={form.retryOutcomes.includes(outcome)}
                    onChange={(event) => set('retryOutcomes')((event.target as HTMLInputElement).checked ? [...form.retryOutcomes, outcome] : form.retryOutcomes.filter((o) => o !== outcome))}
                  />
                  Retry {outcome.replace('_', ' ')}
                </label>
                <Field label={`Delay after ${outcome.replace('_', ' ')} (minutes)`} type="number" min={0} value={form.perOutcome[outcome] ?? ''} onInput={(v) => set('perOutcome')({ ...form.perOutcome, [outcome]: v })} />
              </div>
            ))}
          </fieldset>
        </fieldset>
        <fieldset class={err('variables') ? 'invalid' : ''}>
          <legend>Variables for the assistant</legend>
          {form.variables.map(([key, value], index) => (
            <div class="row" key={index}>
              <Field label={`Variable ${index + 1} name`} value={key} onInput={(v) => set('variables')(form.variables.map((pair, i) => (i === index ? [v, pair[1]] : pair)))} />
              <Field label={`Variable ${index + 1} value`} value={value} onInput={(v) => set('variables')(form.variables.map((pair, i) => (i === index ? [pair[0], v] : pair)))} />
              <button type="button" aria-label={`Remove variable ${index + 1}`} onClick={() => set('variables')(form.variables.filter((_, i) => i !== index))}>
                ×
              </button>
            </div>
          ))}
          <button type="button" onClick={() => set('variables')([...form.variables, ['', '']])}>
            Add variable
          </button>
        </fieldset>
        <ErrorBox error={error} />
        <div class="actions">
          <a class="button" href={id ? `#/campaigns/${id}` : '#/campaigns'}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={busy}>
            {id ? 'Save campaign' : 'Create campaign'}
          </button>
        </div>
      </form>
    </section>
  );
}

const fieldPaths = ['name', 'assistantId', 'phoneNumberId', 'phoneNumberIds', 'timeZone', 'window', 'window.start', 'window.end', 'days', 'startsOn', 'endsOn', 'blackoutDates', 'frequency', 'maxAttempts', 'maxConcurrency', 'retryDelayMinutes', 'retrySequence', 'variables'];
