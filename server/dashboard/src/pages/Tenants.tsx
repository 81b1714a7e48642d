import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Field } from '../ui';

/** Admin only: the server's ADMIN_TOKEN creates tenants (it is not kept anywhere). */
export function Tenants() {
  const [token, setToken] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ id: string; name: string; apiKey: string }[]>([]);
  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const tenant = await api('POST', '/v1/tenants', { token: token.trim(), body: { name } });
      setCreated([tenant, ...created]);
      setName('');
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <section>
      <h1>Create a tenant</h1>
      <form onSubmit={submit} aria-label="Create a tenant">
        <Field label="Admin token" type="password" value={token} onInput={setToken} autoComplete="off" required />
        <Field label="Tenant name" value={name} onInput={setName} required />
        <ErrorBox error={error} />
        <button type="submit" class="primary">
          Create tenant
        </button>
      </form>
      {created.length > 0 && (
        <table aria-label="Created tenants">
          <thead>
            <tr>
              <th>Name</th>
              <th>API key (shown once)</th>
            </tr>
          </thead>
          <tbody>
            {created.map((tenant) => (
              <tr key={tenant.id}>
                <td>{tenant.name}</td>
                <td>
                  <code>{tenant.apiKey}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href="#/">Back to sign in</a>
      </p>
    </section>
  );
}
