import { createParleyClient, type ParleyClient, registerUser } from '@parley/client-sdk';
import { useState } from 'preact/hooks';
import { errorText } from './format';

/** The page's own node: the app is served by the node it talks to (any node behind the LB). */
export const serverUrl = () => window.location.origin;

/**
 * Signs in (or registers, then signs in) and resolves once the socket is connected, so
 * the caller never shows an app that cannot talk yet.
 */
export async function signIn(
  username: string,
  password: string,
  register: boolean,
): Promise<ParleyClient> {
  const url = serverUrl();
  if (register) await registerUser(url, { username, password });
  const client = createParleyClient({ url, credentials: { username, password } });
  await client.status.waitFor(['connected', 'auth-failed'], 15_000);
  if (client.status.value === 'auth-failed') {
    const error = client.status.error;
    client.close();
    throw error ?? new Error('sign-in failed');
  }
  return client;
}

export function SignInForm(props: {
  title: string;
  allowRegister: boolean;
  onSignedIn: (client: ParleyClient) => void;
  note?: string;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function submit(register: boolean) {
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(username.trim(), password, register));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth card">
      <h1>{props.title}</h1>
      {props.note && <p class="muted">{props.note}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit(false);
        }}
      >
        <div class="field">
          <label for="username">Username</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            required
            minLength={3}
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            minLength={10}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {props.allowRegister && <small class="muted">At least 10 characters.</small>}
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row">
          <button class="primary" type="submit" disabled={busy}>
            Sign in
          </button>
          {props.allowRegister && (
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                const form = document.querySelector('form');
                if (form?.reportValidity()) void submit(true);
              }}
            >
              Create account
            </button>
          )}
        </div>
      </form>
    </main>
  );
}
