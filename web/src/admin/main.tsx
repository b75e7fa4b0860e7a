import '../shared/theme.css';
import 'uplot/dist/uPlot.min.css';
import './admin.css';
import type { ParleyClient } from '@parley/client-sdk';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { SignInForm } from '../shared/sign-in';
import { Console } from './console';

function Root() {
  const [client, setClient] = useState<ParleyClient | undefined>();
  const [refused, setRefused] = useState(false);
  if (!client)
    return (
      <>
        {refused && (
          <p class="banner bad auth" role="alert">
            That account is not an administrator.
          </p>
        )}
        <SignInForm
          title="Parley admin console"
          allowRegister={false}
          note="Sign in with an admin account. `npm start` prints a one-time one."
          onSignedIn={(c) => {
            const admin = c.user?.roles.includes('admin') ?? false;
            setRefused(!admin);
            if (admin) setClient(c);
            else c.close();
          }}
        />
      </>
    );
  return (
    <Console
      client={client}
      onSignOut={() => {
        client.close();
        setClient(undefined);
      }}
    />
  );
}

render(<Root />, document.getElementById('app') as HTMLElement);
