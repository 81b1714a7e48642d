import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, get } from '../api';
import { Confirm, ErrorBox, Field, fmt, Select, useLoad } from '../ui';

export function Settings() {
  const settings = useLoad(() => get('/v1/settings'));
  const keys = useLoad(() => get('/v1/api-keys'));
  const s = settings.data;
  const [form, setForm] = useState({ apiKey: '', baseUrl: '', authType: 'secret', secret: '', concurrencyLimit: '', maxCallsPerNumberPer24h: '', start: '', end: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [keyName, setKeyName] = useState('');
  const [newKey, setNewKey] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<any>(null);
  useEffect(() => {
    if (s)
      setForm({
        apiKey: '',
        baseUrl: s.vapi.baseUrl ?? '',
        authType: s.vapi.webhookAuth.type,
        secret: '',
        concurrencyLimit: String(s.concurrencyLimit),
        maxCallsPerNumberPer24h: String(s.maxCallsPerNumberPer24h),
        start: s.contactHours.start,
        end: s.contactHours.end,
      });
  }, [s]);
  const set = (name: keyof typeof form) => (value: string) => setForm({ ...form, [name]: value });

  async function save(event: Event) {
    event.preventDefault();
    setErrors({});
    setError(null);
    setSaved(false);
    const vapi: Record<string, unknown> = { baseUrl: form.baseUrl.trim() || null };
    if (form.apiKey) vapi.apiKey = form.apiKey;
    if (form.secret || form.authType !== s.vapi.webhookAuth.type) vapi.webhookAuth = { type: form.authType, secret: form.secret };
    try {
      await api('PUT', '/v1/settings', {
        body: {
          vapi,
          concurrencyLimit: Number(form.concurrencyLimit),
          maxCallsPerNumberPer24h: Number(form.maxCallsPerNumberPer24h),
          contactHours: { start: form.start, end: form.end },
        },
      });
      setSaved(true);
      settings.reload();
    } catch (caught) {
      if (caught instanceof ApiError && caught.details.some((d) => d.path)) setErrors(caught.byField());
      else setError(caught);
    }
  }
  async function createKey(event: Event) {
    event.preventDefault();
    const created = await api('POST', '/v1/api-keys', { body: keyName ? { name: keyName } : {} });
    setNewKey(created.apiKey);
    setKeyName('');
    keys.reload();
  }
  if (!s) return <ErrorBox error={settings.error} />;
  return (
    <section>
      <h1>Settings</h1>
      {s.vapiStatus && (
        <p class={s.vapiStatus.ok ? 'notice' : 'error-box'} role="status">
          VAPI account: {s.vapiStatus.ok ? 'OK' : s.vapiStatus.reason}
          {s.vapiStatus.since ? ` (since ${fmt.time(s.vapiStatus.since)})` : ''}
        </p>
      )}
      <form onSubmit={save} aria-label="Settings" noValidate>
        <fieldset>
          <legend>VAPI</legend>
          <Field label="VAPI private key" type="password" value={form.apiKey} onInput={set('apiKey')} error={errors['vapi.apiKey']} placeholder={s.vapi.apiKey ?? 'not set'} hint={s.vapi.apiKey ? `current: ${s.vapi.apiKey} — leave empty to keep` : 'not set'} autoComplete="off" />
          <Field label="VAPI base URL" value={form.baseUrl} onInput={set('baseUrl')} error={errors['vapi.baseUrl']} hint="empty: the server's default" />
          <Select label="Webhook authentication" value={form.authType} onChange={set('authType')} options={[['secret', 'Secret header (X-Vapi-Secret)'], ['bearer', 'Bearer token'], ['hmac', 'HMAC signature']]} error={errors['vapi.webhookAuth.type']} />
          <Field label="Webhook secret" type="password" value={form.secret} onInput={set('secret')} error={errors['vapi.webhookAuth.secret'] ?? errors['vapi.webhookAuth']} hint={s.vapi.webhookAuth.secretSet ? 'a secret is set — leave empty to keep' : 'no secret set'} autoComplete="off" />
          {s.vapi.forwardUrl !== undefined && <Field label="Forward URL" value={s.vapi.forwardUrl ?? ''} onInput={() => {}} readOnly hint="messages pgdialer does not handle are relayed here" />}
        </fieldset>
        <fieldset>
          <legend>Limits and hours</legend>
          <div class="row">
            <Field label="Concurrent calls" type="number" min={1} value={form.concurrencyLimit} onInput={set('concurrencyLimit')} error={errors.concurrencyLimit} hint={s.vapiConcurrencyLimit ? `VAPI reports ${s.vapiConcurrencyLimit}; effective ${s.effectiveConcurrencyLimit}` : undefined} />
            <Field label="Calls per number per 24 h" type="number" min={1} value={form.maxCallsPerNumberPer24h} onInput={set('maxCallsPerNumberPer24h')} error={errors.maxCallsPerNumberPer24h} />
          </div>
          <div class="row">
            <Field label="Contact calling hours from" type="time" value={form.start} onInput={set('start')} error={errors['contactHours.start']} />
            <Field label="Contact calling hours to" type="time" value={form.end} onInput={set('end')} error={errors['contactHours.end']} />
          </div>
        </fieldset>
        <ErrorBox error={error} />
        {saved && (
          <p role="status" class="notice">
            Settings saved.
          </p>
        )}
        <button type="submit" class="primary">
          Save settings
        </button>
      </form>

      <h2>API keys</h2>
      <form class="row" onSubmit={createKey} aria-label="Create an API key">
        <Field label="Key name" value={keyName} onInput={setKeyName} />
        <button type="submit">Create API key</button>
      </form>
      {newKey && (
        <p role="status" class="notice">
          New key (shown once): <code>{newKey}</code>
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="API keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {(keys.data?.items ?? keys.data ?? []).map((key: any) => (
              <tr key={key.id}>
                <td>{key.name ?? '—'}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{fmt.time(key.createdAt)}</td>
                <td>{fmt.time(key.lastUsedAt)}</td>
                <td>
                  {key.revokedAt ? (
                    `revoked ${fmt.time(key.revokedAt)}`
                  ) : (
                    <button type="button" class="danger" aria-label={`Revoke key ${key.name ?? key.prefix}`} onClick={() => setRevoking(key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revoking && (
        <Confirm
          title={`Revoke key ${revoking.name ?? revoking.prefix}?`}
          confirmLabel="Yes, revoke"
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            const key = revoking;
            setRevoking(null);
            try {
              await api('DELETE', `/v1/api-keys/${key.id}`);
            } catch (caught) {
              setError(caught);
            }
            keys.reload();
          }}
        >
          <p>Programs using it stop working at once.</p>
        </Confirm>
      )}
    </section>
  );
}
