// Upload a CSV: preview of its header and first rows with the column mapping, the upload's
// progress, then the import report with per-code counts and the rejected rows as a CSV.
import { useState } from 'preact/hooks';
import { ApiError, download, errorOf, get, query, session } from '../api';
import { ErrorBox, Select, useLoad } from '../ui';

/** Enough CSV for a preview: quoted fields, commas or semicolons, the first lines only. */
export function parseCsvPreview(text: string, maxRows = 5): string[][] {
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length <= maxRows; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) row.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((cell) => cell !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  if ((field !== '' || row.length > 0) && rows.length <= maxRows) rows.push([...row, field]);
  return rows;
}

const guess = (header: string[], names: string[]) => header.find((h) => names.includes(h.trim().toLowerCase())) ?? '';

function csvCell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function ImportPage({ campaignId }: { campaignId: string }) {
  const campaign = useLoad(() => get(`/v1/campaigns/${campaignId}`), [campaignId]);
  const [file, setFile] = useState<File | null>(null);
  const [rows, setRows] = useState<string[][]>([]);
  const [mapping, setMapping] = useState({ phone: '', name: '', timezone: '' });
  const [sent, setSent] = useState<number | null>(null);
  const [report, setReport] = useState<any>(null);
  const [error, setError] = useState<unknown>(null);

  async function choose(chosen: File | null) {
    setFile(chosen);
    setReport(null);
    setError(null);
    if (!chosen) return setRows([]);
    const preview = parseCsvPreview(await chosen.slice(0, 64 * 1024).text());
    setRows(preview);
    const header = preview[0] ?? [];
    setMapping({
      phone: guess(header, ['phone', 'phone_number', 'phonenumber', 'number', 'mobile', 'telephone']),
      name: guess(header, ['name', 'full_name', 'fullname', 'contact']),
      timezone: guess(header, ['timezone', 'time_zone', 'tz', 'zone']),
    });
  }

  function upload() {
    if (!file) return;
    setError(null);
    setSent(0);
    // XMLHttpRequest: fetch has no upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/campaigns/${campaignId}/contacts/import${query(mapping)}`);
    xhr.setRequestHeader('Authorization', `Bearer ${session.key()}`);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.upload.onprogress = (event) => event.lengthComputable && setSent(event.loaded / event.total);
    xhr.onload = async () => {
      setSent(null);
      const response = new Response(xhr.responseText, { status: xhr.status });
      if (xhr.status >= 200 && xhr.status < 300) setReport(JSON.parse(xhr.responseText));
      else setError(await errorOf(response));
    };
    xhr.onerror = () => {
      setSent(null);
      setError(new ApiError(0, 'network', 'the upload failed (network)'));
    };
    xhr.send(file);
  }

  const header = rows[0] ?? [];
  const columnOptions: [string, string][] = [['', '(none)'], ...header.map((h): [string, string] => [h, h])];
  const byCode: Record<string, number> = {};
  for (const e of report?.errors ?? []) byCode[e.code] = (byCode[e.code] ?? 0) + 1;

  return (
    <section>
      <h1>Import contacts{campaign.data ? ` into “${campaign.data.name}”` : ''}</h1>
      <div class="field">
        <label for="csv-file">CSV file</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(event) => choose((event.target as HTMLInputElement).files?.[0] ?? null)} />
      </div>
      {rows.length > 0 && (
        <>
          <h2>Preview</h2>
          <div class="table-wrap">
            <table aria-label="Preview">
              <thead>
                <tr>
                  {header.map((h, i) => (
                    <th key={i}>{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.slice(1).map((row, i) => (
                  <tr key={i}>
                    {header.map((_, j) => (
                      <td key={j}>{row[j] ?? ''}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Columns</h2>
          <div class="row">
            <Select label="Phone column" value={mapping.phone} onChange={(v) => setMapping({ ...mapping, phone: v })} options={columnOptions} />
            <Select label="Name column" value={mapping.name} onChange={(v) => setMapping({ ...mapping, name: v })} options={columnOptions} />
            <Select label="Time zone column" value={mapping.timezone} onChange={(v) => setMapping({ ...mapping, timezone: v })} options={columnOptions} />
          </div>
          <p class="muted">
            Other columns become variables:{' '}
            {header.filter((h) => h && ![mapping.phone, mapping.name, mapping.timezone].includes(h)).join(', ') || 'none'}.
          </p>
          <button type="button" class="primary" onClick={upload} disabled={sent !== null || !mapping.phone}>
            Import {file?.name}
          </button>
        </>
      )}
      {sent !== null && <progress aria-label="Upload progress" max={1} value={sent} />}
      <ErrorBox error={error} />
      {report && (
        <section aria-label="Import report" class="card">
          <h2>Import report</h2>
          <dl class="tiles small">
            <div>
              <dt>Rows</dt>
              <dd>{report.rows}</dd>
            </div>
            <div>
              <dt>Imported</dt>
              <dd data-testid="imported">{report.imported}</dd>
            </div>
            <div>
              <dt>Duplicates</dt>
              <dd>{report.duplicates}</dd>
            </div>
            <div>
              <dt>Do not call</dt>
              <dd>{report.dnc}</dd>
            </div>
            <div>
              <dt>Rejected</dt>
              <dd data-testid="rejected">{report.rejected}</dd>
            </div>
          </dl>
          {Object.keys(byCode).length > 0 && (
            <table aria-label="Rejected rows by code">
              <thead>
                <tr>
                  <th>Code</th>
                  <th>Rows</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(byCode).map(([code, count]) => (
                  <tr key={code}>
                    <td>{code}</td>
                    <td>{count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.errors.length > 0 && (
            <button
              type="button"
              onClick={() =>
                download(
                  `rejected-${report.importId}.csv`,
                  new Blob(['line,code,message\n' + report.errors.map((e: any) => [e.line, e.code, e.message].map(csvCell).join(',')).join('\n') + '\n'], { type: 'text/csv' }),
                )
              }
            >
              Download rejected rows (CSV)
            </button>
          )}
          <p>
            <a href={`#/campaigns/${campaignId}`}>Back to the campaign</a>
          </p>
        </section>
      )}
    </section>
  );
}
