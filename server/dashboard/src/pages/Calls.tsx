import { useEffect, useRef, useState } from 'preact/hooks';
import { download, get, query, request } from '../api';
import { navigate } from '../router';
import { useLiveReload } from '../live';
import { Badge, ErrorBox, Field, fmt, Select, useLoad } from '../ui';
import { CallTable } from './CampaignPage';
import { useCallerNumbers } from '../callerNumbers';

const statusOptions: [string, string][] = [['', 'Any'], ...['scheduled', 'dialing', 'queued', 'ringing', 'in_progress', 'ended', 'cancelled', 'skipped'].map((s): [string, string] => [s, s.replace('_', ' ')])];
const outcomeOptions: [string, string][] = [['', 'Any'], ...['answered', 'no_answer', 'busy', 'voicemail', 'failed'].map((s): [string, string] => [s, s.replace('_', ' ')])];

function initialFilters() {
  const search = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return { campaignId: search.get('campaignId') ?? '', status: '', outcome: '', from: '', to: '', q: '' };
}

const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function Calls({ callId }: { callId?: string }) {
  const [filters, setFilters] = useState(initialFilters);
  const [items, setItems] = useState<any[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const campaigns = useLoad(() => get('/v1/campaigns?limit=200'));
  const params = { campaignId: filters.campaignId, status: filters.status, outcome: filters.outcome, from: instant(filters.from), to: instant(filters.to), q: filters.q.trim() };
  const key = JSON.stringify(params);
  // The filters in force: an answer to filters since changed (a slower, earlier request) is dropped.
  const current = useRef(key);
  current.current = key;
  const list = useLoad(async () => {
    const asked = key;
    const page = await get(`/v1/calls${query({ ...params, limit: 50 })}`);
    if (current.current !== asked) return page;
    setItems(page.items);
    setCursor(page.nextCursor);
    return page;
  }, [key]);
  useLiveReload(list.reload, (event) => event.type === 'call', 800);
  const set = (name: keyof typeof filters) => (value: string) => setFilters({ ...filters, [name]: value });

  async function more() {
    const page = await get(`/v1/calls${query({ ...params, limit: 50, cursor })}`);
    setItems([...items, ...page.items]);
    setCursor(page.nextCursor);
  }
  async function exportCsv() {
    const response = await request('GET', `/v1/calls.csv${query(params)}`);
    download('calls.csv', await response.blob());
  }
  return (
    <section>
      <div class="page-head">
        <h1>Calls</h1>
        <button type="button" onClick={exportCsv}>
          Export CSV
        </button>
      </div>
      <form class="filters" aria-label="Call filters" onSubmit={(event) => event.preventDefault()}>
        <Select label="Campaign" value={filters.campaignId} onChange={set('campaignId')} options={[['', 'Any'], ...((campaigns.data?.items ?? []) as any[]).map((c): [string, string] => [c.id, c.name])]} />
        <Select label="Status" value={filters.status} onChange={set('status')} options={statusOptions} />
        <Select label="Outcome" value={filters.outcome} onChange={set('outcome')} options={outcomeOptions} />
        <Field label="From" type="datetime-local" value={filters.from} onInput={set('from')} />
        <Field label="To" type="datetime-local" value={filters.to} onInput={set('to')} />
        <Field label="Search name or phone" type="search" value={filters.q} onInput={set('q')} />
      </form>
      <ErrorBox error={list.error} />
      <CallTable calls={items} label="Calls" />
      {cursor && (
        <button type="button" onClick={more}>
          Load more
        </button>
      )}
      {callId && <CallDrawer id={callId} onClose={() => navigate('/calls')} />}
    </section>
  );
}

/** "AI: …\nUser: …" → speaker turns. */
export function turnsOf(transcript: string | null): { speaker: string; text: string }[] {
  if (!transcript) return [];
  const turns: { speaker: string; text: string }[] = [];
  for (const line of transcript.split('\n')) {
    const match = /^(AI|User|Bot|Assistant|Customer)\s*:\s*(.*)$/i.exec(line.trim());
    if (match) turns.push({ speaker: match[1]!, text: match[2]! });
    else if (line.trim() && turns.length > 0) turns[turns.length - 1]!.text += ` ${line.trim()}`;
  }
  return turns;
}

export function CallDrawer({ id, onClose }: { id: string; onClose: () => void }) {
  const call = useLoad(() => get(`/v1/calls/${id}`), [id]);
  const callerNumber = useCallerNumbers();
  useLiveReload(call.reload, (event) => event.type === 'call' && event.callId === id, 300);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal();
  }, []);
  const c = call.data;
  return (
    <dialog ref={ref} class="drawer" aria-labelledby="call-title" onCancel={(event) => (event.preventDefault(), onClose())}>
      <div class="page-head">
        <h2 id="call-title">{c ? `Call to ${c.contactName ?? c.phone}` : 'Call'}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorBox error={call.error} />
      {c && (
        <>
          <p>
            <Badge value={c.status} /> <Badge value={c.outcome} /> {c.endedReason && <span class="muted">{c.endedReason}</span>}
          </p>
          <dl class="facts">
            <dt>Phone</dt>
            <dd>{c.phone}</dd>
            <dt>Caller number</dt>
            <dd>{callerNumber(c.phoneNumberId)}</dd>
            <dt>Campaign</dt>
            <dd>{c.campaignName ? <a href={`#/campaigns/${c.campaignId}`}>{c.campaignName}</a> : 'direct call'}</dd>
            <dt>Attempt</dt>
            <dd>{c.attempt}</dd>
            <dt>Started</dt>
            <dd>{fmt.time(c.startedAt)}</dd>
            <dt>Ended</dt>
            <dd>{fmt.time(c.endedAt)}</dd>
            <dt>Duration</dt>
            <dd>{fmt.duration(c.durationSeconds)}</dd>
            <dt>Cost</dt>
            <dd>{fmt.money(c.cost)}</dd>
          </dl>
          {c.costBreakdown && (
            <details>
              <summary>Cost breakdown</summary>
              <table aria-label="Cost breakdown">
                <tbody>
                  {Object.entries(c.costBreakdown as Record<string, unknown>)
                    .filter(([, v]) => typeof v === 'number')
                    .map(([k, v]) => (
                      <tr key={k}>
                        <th>{k}</th>
                        <td>{fmt.money(v as number)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </details>
          )}
          <h3>Recording</h3>
          {c.recordingUrl ? <audio controls preload="none" src={c.recordingUrl} aria-label="Call recording" /> : <p class="muted">No recording.</p>}
          <h3>Summary</h3>
          <p>{c.summary ?? <span class="muted">No summary.</span>}</p>
          {c.analysis && (
            <details>
              <summary>Analysis</summary>
              <pre>{JSON.stringify(c.analysis, null, 2)}</pre>
            </details>
          )}
          <h3>Transcript</h3>
          {turnsOf(c.transcript).length === 0 && <p class="muted">No transcript.</p>}
          <ol class="transcript" aria-label="Transcript">
            {turnsOf(c.transcript).map((turn, i) => (
              <li key={i} class={/^(ai|bot|assistant)$/i.test(turn.speaker) ? 'ai' : 'user'}>
                <b>{turn.speaker}</b> {turn.text}
              </li>
            ))}
          </ol>
          <h3>Timeline</h3>
          <ol class="timeline" aria-label="Timeline">
            <li>Scheduled, due {fmt.time(c.dueAt)}</li>
            {c.dialStartedAt && <li>Dialed {fmt.time(c.dialStartedAt)}</li>}
            {c.events.map((event: any) => (
              <li key={event.id}>
                {event.type}
                {event.status ? ` (${event.status})` : ''} — {fmt.time(event.eventAt ?? event.receivedAt)}
                {event.error && <span class="error"> {event.error}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </dialog>
  );
}
