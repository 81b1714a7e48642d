import { useState } from 'preact/hooks';
import { api, get, query } from '../api';
import { useLive, useLiveReload } from '../live';
import { Badge, Confirm, ErrorBox, fmt, ProgressBar, useLoad } from '../ui';
import { useCallerNumbers } from '../callerNumbers';

/** The per-contact split of a campaign's members, for the progress bar. */
export function contactParts(progress: any) {
  const c = progress?.byContact ?? {};
  return [
    { name: 'reached', value: c.reached ?? 0, tone: 'reached' },
    { name: 'not reached', value: c.notReached ?? 0, tone: 'not-reached' },
    { name: 'in call', value: c.inFlight ?? 0, tone: 'in-flight' },
    { name: 'waiting', value: c.waiting ?? 0, tone: 'waiting' },
    { name: 'not started', value: c.notStarted ?? 0, tone: 'not-started' },
  ];
}

/**
 * The campaign's retry sequence and per-attempt overrides in words, e.g. "attempt 2: 120 min
 * after attempt 1 · attempt 3: 1440 min after attempt 2, later half of the window".
 */
export function retryPlanText(campaign: any): string[] {
  const steps: any[] = campaign.retrySequence ?? [];
  const lines = steps
    .slice(0, Math.max(0, campaign.maxAttempts - 1))
    .map((step, i) => `attempt ${i + 2}: ${step.afterMinutes} min after attempt ${i + 1}${step.shiftWindow ? `, ${step.shiftWindow} half of the window` : ''}`);
  if (steps.length > 0 && steps.length < campaign.maxAttempts - 1) lines.push(`attempts ${steps.length + 2}+: the retry delay`);
  for (const override of campaign.attemptOverrides ?? []) {
    const parts = [
      override.voicemailMessage ? 'a voicemail message' : null,
      override.variables ? `variables ${Object.keys(override.variables).join(', ')}` : null,
    ].filter(Boolean);
    if (parts.length > 0) lines.push(`attempt ${override.attempt} adds ${parts.join(' and ')}`);
  }
  return lines;
}

const actions: Record<string, { action: string; label: string; question: string }[]> = {
  draft: [{ action: 'start', label: 'Start', question: 'Start the campaign? Its contacts are called inside its window.' }],
  active: [
    { action: 'pause', label: 'Pause', question: 'Pause the campaign? Nothing new is dialed; live calls finish.' },
    { action: 'stop', label: 'Stop', question: 'Stop the campaign? Its scheduled calls are cancelled.' },
  ],
  paused: [
    { action: 'resume', label: 'Resume', question: 'Resume the campaign?' },
    { action: 'stop', label: 'Stop', question: 'Stop the campaign? Its scheduled calls are cancelled.' },
  ],
  stopped: [{ action: 'start', label: 'Start again', question: 'Start the campaign again? Contacts not finished get new calls.' }],
  completed: [],
};

export function CampaignPage({ id }: { id: string }) {
  const campaign = useLoad(() => get(`/v1/campaigns/${id}`), [id]);
  const waiting = useLoad(() => get(`/v1/campaigns/${id}/waiting?limit=10`), [id]);
  const calls = useLoad(() => get(`/v1/calls${query({ campaignId: id, limit: 20 })}`), [id]);
  const [progress, setProgress] = useState<any>(null);
  const [asking, setAsking] = useState<(typeof actions)['draft'][number] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useLive((event) => {
    if (event.type !== 'progress' || event.campaignId !== id) return;
    setProgress(event);
    // It changed status by itself (a once campaign completes with its last call): re-read it.
    if (campaign.data && event.status !== campaign.data.status) campaign.reload();
  });
  useLiveReload(
    () => {
      calls.reload();
      waiting.reload();
    },
    (event) => event.type === 'call' || event.type === 'progress',
    500,
  );
  useLiveReload(campaign.reload, (event) => event.type === 'campaign' && event.campaignId === id, 100);

  const c = campaign.data;
  if (!c) return <ErrorBox error={campaign.error} />;
  // The live progress when newer than the page's read.
  const shown = progress ? progress.progress : c.progress;
  async function run(action: string) {
    setAsking(null);
    setError(null);
    try {
      await api('POST', `/v1/campaigns/${id}/${action}`);
      setProgress(null);
      campaign.reload();
      waiting.reload();
    } catch (caught) {
      setError(caught);
    }
  }
  const p = shown;
  return (
    <section>
      <div class="page-head">
        <h1>
          {c.name} <Badge value={c.status} />
        </h1>
        <div class="actions">
          {(actions[c.status] ?? []).map((a) => (
            <button type="button" key={a.action} class={a.action === 'stop' ? 'danger' : 'primary'} onClick={() => setAsking(a)}>
              {a.label}
            </button>
          ))}
          {['draft', 'paused'].includes(c.status) && (
            <a class="button" href={`#/campaigns/${id}/edit`}>
              Edit
            </a>
          )}
          {c.status !== 'completed' && (
            <a class="button" href={`#/campaigns/${id}/import`}>
              Import contacts
            </a>
          )}
        </div>
      </div>
      {asking && (
        <Confirm title={`${asking.label} “${c.name}”?`} confirmLabel={`Yes, ${asking.label.toLowerCase()}`} onConfirm={() => run(asking.action)} onCancel={() => setAsking(null)}>
          <p>{asking.question}</p>
        </Confirm>
      )}
      <ErrorBox error={error} />
      <p class="muted">
        {c.timeZone} · {c.window.start}–{c.window.end} · days {c.days.join(', ')} · {c.frequency} · up to {c.maxAttempts} attempts · {c.maxConcurrency} at once
        {c.nextWindowOpen && ` · window next open ${fmt.time(c.nextWindowOpen)}`}
      </p>
      {retryPlanText(c).length > 0 && (
        <p class="muted" aria-label="Retry sequence">
          {retryPlanText(c).join(' · ')}
        </p>
      )}

      <h2>Contacts</h2>
      <ProgressBar label="Contacts progress" parts={contactParts(p)} total={p.byContact?.contacts ?? p.contacts} />
      <dl class="tiles small" aria-label="Calls">
        <div>
          <dt>Contacts</dt>
          <dd>{p.contacts}</dd>
        </div>
        <div>
          <dt>Due now</dt>
          <dd>{p.dueNow}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd data-testid="in-flight">{p.inFlight}</dd>
        </div>
        <div>
          <dt>Answered</dt>
          <dd data-testid="answered">{p.answered}</dd>
        </div>
        <div>
          <dt>No answer</dt>
          <dd>{p.noAnswer}</dd>
        </div>
        <div>
          <dt>Busy</dt>
          <dd>{p.busy}</dd>
        </div>
        <div>
          <dt>Voicemail</dt>
          <dd>{p.voicemail}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{p.failed}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{fmt.money(p.totalCost)}</dd>
        </div>
      </dl>

      <h2>Waiting</h2>
      {waiting.data && waiting.data.total === 0 && <p class="muted">No call is waiting.</p>}
      {waiting.data && waiting.data.total > 0 && (
        <ul class="reasons" aria-label="Waiting contacts by reason">
          {waiting.data.reasons.map((reason: any) => (
            <li key={reason.reason}>
              <b>{reason.calls}</b> {reason.text}
            </li>
          ))}
        </ul>
      )}

      <h2>Recent calls</h2>
      <CallTable calls={calls.data?.items ?? []} label="Recent calls" />
      <p>
        <a href={`#/calls?campaignId=${id}`}>All calls of this campaign</a>
      </p>
    </section>
  );
}

export function CallTable({ calls, label, onOpen }: { calls: any[]; label: string; onOpen?: (id: string) => void }) {
  const callerNumber = useCallerNumbers();
  return (
    <div class="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th>Contact</th>
            <th>Phone</th>
            <th>Caller number</th>
            <th>Status</th>
            <th>Outcome</th>
            <th>Attempt</th>
            <th>Ended</th>
            <th>Cost</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => (
            <tr key={call.id}>
              <td>
                <a href={`#/calls/${call.id}`} onClick={onOpen ? (event) => (event.preventDefault(), onOpen(call.id)) : undefined}>
                  {call.contactName ?? call.phone}
                </a>
              </td>
              <td>{call.phone}</td>
              <td>{callerNumber(call.phoneNumberId)}</td>
              <td>
                <Badge value={call.status} />
              </td>
              <td>
                <Badge value={call.outcome} />
              </td>
              <td>{call.attempt}</td>
              <td>{fmt.time(call.endedAt)}</td>
              <td>{fmt.money(call.cost)}</td>
            </tr>
          ))}
          {calls.length === 0 && (
            <tr>
              <td colSpan={8} class="muted">
                No calls yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
