import { lazy, Suspense } from 'preact/compat';
import { useMemo, useState } from 'preact/hooks';
import { get, query } from '../api';
import { lastWorker, useLive, useLiveReload } from '../live';
import { ErrorBox, fmt, ProgressBar, useLoad } from '../ui';
import { contactParts } from './CampaignPage';

const OutcomeChart = lazy(() => import('../chart'));
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

function workerText(worker: { state: string; until?: string | null; nextWakeAt?: string | null } | undefined): string {
  if (!worker || worker.state === 'external') return 'runs in another process';
  if (worker.state === 'asleep') return worker.until ? `asleep until ${fmt.time(worker.until)}` : 'asleep (nothing planned)';
  return worker.state;
}

export function Overview() {
  const [worker, setWorker] = useState<any>(lastWorker);
  const status = useLoad(() => get('/v1/scheduler/status'));
  const settings = useLoad(() => get('/v1/settings'));
  const active = (status.data?.campaigns ?? []) as any[];
  const campaigns = useLoad(() => Promise.all(active.map((c) => get(`/v1/campaigns/${c.id}`))), [active.map((c) => c.id).join()]);
  const now = useMemo(() => new Date(), [status.data]);
  const dayAgo = new Date(now.getTime() - 24 * 3600_000);
  const weekAgo = new Date(now.getTime() - 7 * 24 * 3600_000);
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const hourly = useLoad(() => get(`/v1/stats/calls${query({ bucket: 'hour', from: dayAgo.toISOString(), timeZone: zone })}`), [status.data]);
  const daily = useLoad(() => get(`/v1/stats/calls${query({ bucket: 'day', from: weekAgo.toISOString(), timeZone: zone })}`), [status.data]);
  const today = useLoad(() => get(`/v1/stats/calls${query({ bucket: 'day', from: midnight.toISOString(), timeZone: zone })}`), [status.data]);
  useLive((event) => {
    if (event.type === 'worker') setWorker(event);
    if (event.type === 'ready' && event.worker?.state !== 'external') setWorker(event.worker);
  });
  useLiveReload(() => status.reload(), (event) => ['call', 'campaign', 'worker', 'progress'].includes(event.type), 700);

  const s = status.data;
  const shownWorker = s?.worker ?? worker;
  const vapiStatus = settings.data?.vapiStatus;
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={status.error} />
      <dl class="tiles" aria-label="Scheduler">
        <div>
          <dt>Worker</dt>
          <dd data-testid="worker-state">{workerText(shownWorker)}</dd>
        </div>
        <div>
          <dt>Next wake-up</dt>
          <dd>{s ? (s.nextWakeAt ? fmt.time(s.worker?.nextWakeAt ?? s.nextWakeAt) : 'nothing planned') : '…'}</dd>
        </div>
        <div>
          <dt>Due now</dt>
          <dd>{s?.dueNow ?? '…'}</dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{s ? `${s.inFlight} / ${s.concurrencyLimit}` : '…'}</dd>
        </div>
        <div>
          <dt>Cost today</dt>
          <dd>{today.data ? fmt.money(today.data.totals.cost) : '…'}</dd>
        </div>
        {vapiStatus && (
          <div>
            <dt>VAPI account</dt>
            <dd class={vapiStatus.ok ? 'ok' : 'bad'}>{vapiStatus.ok ? 'OK' : `${vapiStatus.reason ?? 'problem'}${vapiStatus.since ? ` since ${fmt.time(vapiStatus.since)}` : ''}`}</dd>
          </div>
        )}
      </dl>

      <h2>Active campaigns</h2>
      {active.length === 0 && <p class="muted">No active or paused campaign. <a href="#/campaigns/new">Create one</a>.</p>}
      <ul class="cards">
        {(campaigns.data ?? []).map((campaign: any) => (
          <li key={campaign.id} class="card">
            <h3>
              <a href={`#/campaigns/${campaign.id}`}>{campaign.name}</a> <span class={`badge b-${campaign.status}`}>{campaign.status}</span>
            </h3>
            <ProgressBar label={`${campaign.name} progress`} parts={contactParts(campaign.progress)} total={campaign.progress.contacts} />
          </li>
        ))}
      </ul>

      <h2>Outcomes</h2>
      <div class="charts">
        <figure>
          <figcaption>Per hour, last 24 hours</figcaption>
          <Suspense fallback={<div class="chart" />}>{hourly.data && <OutcomeChart label="Outcomes per hour, last 24 hours" buckets={hourly.data.buckets} from={dayAgo} count={24} stepMs={3600_000} />}</Suspense>
        </figure>
        <figure>
          <figcaption>Per day, last 7 days</figcaption>
          <Suspense fallback={<div class="chart" />}>{daily.data && <OutcomeChart label="Outcomes per day, last 7 days" buckets={daily.data.buckets} from={weekAgo} count={7} stepMs={24 * 3600_000} />}</Suspense>
        </figure>
      </div>
    </section>
  );
}
