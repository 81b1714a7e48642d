import { useState } from 'preact/hooks';
import { api, ApiError, get, query } from '../api';
import { Confirm, ErrorBox, Field, fmt, useLoad } from '../ui';

function ContactRow({ contact, onChanged }: { contact: any; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(contact.name ?? '');
  const [zone, setZone] = useState(contact.timeZone ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [deleting, setDeleting] = useState(false);
  async function save(event: Event) {
    event.preventDefault();
    try {
      await api('PATCH', `/v1/contacts/${contact.id}`, { body: { name: name || null, timeZone: zone || null } });
      setEditing(false);
      onChanged();
    } catch (caught) {
      if (caught instanceof ApiError) setErrors(caught.byField());
    }
  }
  if (editing) {
    return (
      <tr>
        <td colSpan={4}>
          <form class="row" onSubmit={save} aria-label={`Edit ${contact.phone}`}>
            <Field label="Name" value={name} onInput={setName} error={errors.name} />
            <Field label="Time zone" value={zone} onInput={setZone} error={errors.timeZone} hint="empty: from the number" />
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <td>{contact.name ?? '—'}</td>
      <td>{contact.phone}</td>
      <td>{contact.timeZone ?? (contact.possibleTimeZones.join(' / ') || '—')}</td>
      <td class="actions">
        <button type="button" onClick={() => setEditing(true)} aria-label={`Edit ${contact.phone}`}>
          Edit
        </button>
        <button type="button" class="danger" onClick={() => setDeleting(true)} aria-label={`Delete ${contact.phone}`}>
          Delete
        </button>
        {deleting && (
          <Confirm
            title={`Delete ${contact.phone}?`}
            confirmLabel="Yes, delete"
            onCancel={() => setDeleting(false)}
            onConfirm={async () => {
              setDeleting(false);
              await api('DELETE', `/v1/contacts/${contact.id}`);
              onChanged();
            }}
          >
            <p>Its scheduled calls are no longer made.</p>
          </Confirm>
        )}
      </td>
    </tr>
  );
}

export function Contacts() {
  const [q, setQ] = useState('');
  const contacts = useLoad(() => get(`/v1/contacts${query({ q: q.trim(), limit: 50 })}`), [q]);
  const dnc = useLoad(() => get('/v1/dnc?limit=100'));
  const [phone, setPhone] = useState('');
  const [reason, setReason] = useState('');
  const [dncErrors, setDncErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState('');
  async function addDnc(event: Event) {
    event.preventDefault();
    setDncErrors({});
    try {
      const added = await api('POST', '/v1/dnc', { body: { phone, ...(reason ? { reason } : {}) } });
      setNotice(`${added.phone} added to the do-not-call list${added.cancelledCalls ? `; ${added.cancelledCalls} scheduled call(s) cancelled` : ''}.`);
      setPhone('');
      setReason('');
      dnc.reload();
    } catch (caught) {
      if (caught instanceof ApiError) setDncErrors({ phone: caught.byField().phone ?? caught.message, ...caught.byField() });
    }
  }
  return (
    <section>
      <h1>Contacts</h1>
      <div class="filters">
        <Field label="Search contacts" type="search" value={q} onInput={setQ} hint="name or digits of the phone" />
      </div>
      <ErrorBox error={contacts.error} />
      <div class="table-wrap">
        <table aria-label="Contacts">
          <thead>
            <tr>
              <th>Name</th>
              <th>Phone</th>
              <th>Time zone</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {(contacts.data?.items ?? []).map((contact: any) => (
              <ContactRow key={contact.id} contact={contact} onChanged={contacts.reload} />
            ))}
          </tbody>
        </table>
      </div>

      <h2>Do not call</h2>
      <form class="row" onSubmit={addDnc} aria-label="Add a do-not-call number">
        <Field label="Phone number" value={phone} onInput={setPhone} error={dncErrors.phone} required />
        <Field label="Reason" value={reason} onInput={setReason} error={dncErrors.reason} />
        <button type="submit" class="primary">
          Add to do-not-call
        </button>
      </form>
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="Do-not-call numbers">
          <thead>
            <tr>
              <th>Phone</th>
              <th>Reason</th>
              <th>Added</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {(dnc.data?.items ?? []).map((entry: any) => (
              <tr key={entry.phone}>
                <td>{entry.phone}</td>
                <td>{entry.reason ?? '—'}</td>
                <td>{fmt.time(entry.createdAt)}</td>
                <td>
                  <button
                    type="button"
                    aria-label={`Remove ${entry.phone} from do-not-call`}
                    onClick={async () => {
                      await api('DELETE', `/v1/dnc/${encodeURIComponent(entry.phone)}`);
                      dnc.reload();
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
