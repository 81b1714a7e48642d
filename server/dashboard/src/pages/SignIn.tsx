import { useState } from 'preact/hooks';
import { api, ApiError, session } from '../api';
import { ErrorBox, Field } from '../ui';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Any tenant route checks the key; settings is small.
      await api('GET', '/v1/settings', { token: key.trim() });
      session.signIn(key.trim());
      onSignedIn();
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 401 ? new ApiError(401, 'unauthorized', 'That API key is not valid.') : caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="narrow">
      <h1>Sign in to pgdialer</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="API key" type="password" value={key} onInput={setKey} autoComplete="off" required hint="pgd_… — kept for this tab only" />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
      <p class="muted">
        Operator of the server? <a href="#/tenants">Create a tenant with the admin token</a>.
      </p>
    </main>
  );
}
