import { useState } from 'preact/hooks';
import { get, query } from '../api';
import { useLiveReload } from '../live';
import { Badge, ErrorBox, fmt, Select, useLoad } from '../ui';

const statuses: [string, string][] = [
  ['', 'All'],
  ['draft', 'Draft'],
  ['active', 'Active'],
  ['paused', 'Paused'],
  ['completed', 'Completed'],
  ['stopped', 'Stopped'],
];

export function Campaigns() {
  const [status, setStatus] = useState('');
  const [pages, setPages] = useState<any[][]>([]);
  const list = useLoad(async () => {
    const first = await get(`/v1/campaigns${query({ status, limit: 50 })}`);
    setPages([first.items]);
    return first;
  }, [status]);
  useLiveReload(list.reload, (event) => event.type === 'campaign');
  const [next, setNext] = useState<string | null>(null);
  const cursor = next ?? list.data?.nextCursor;
  async function more() {
    const page = await get(`/v1/campaigns${query({ status, limit: 50, cursor })}`);
    setPages([...pages, page.items]);
    setNext(page.nextCursor);
  }
  const items = pages.flat();
  return (
    <section>
      <div class="page-head">
        <h1>Campaigns</h1>
        <a class="button primary" href="#/campaigns/new">
          New campaign
        </a>
      </div>
      <div class="filters">
        <Select label="Status" value={status} onChange={setStatus} options={statuses} />
      </div>
      <ErrorBox error={list.error} />
      <div class="table-wrap">
        <table aria-label="Campaigns">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Zone</th>
              <th>Window</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((campaign) => (
              <tr key={campaign.id}>
                <td>
                  <a href={`#/campaigns/${campaign.id}`}>{campaign.name}</a>
                </td>
                <td>
                  <Badge value={campaign.status} />
                </td>
                <td>{campaign.timeZone}</td>
                <td>
                  {campaign.window.start}–{campaign.window.end}
                </td>
                <td>{fmt.time(campaign.createdAt)}</td>
              </tr>
            ))}
            {items.length === 0 && !list.loading && (
              <tr>
                <td colSpan={5} class="muted">
                  No campaigns{status ? ` with status ${status}` : ''}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {cursor && (
        <button type="button" onClick={more}>
          Load more
        </button>
      )}
    </section>
  );
}
