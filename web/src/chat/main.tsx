import '../shared/theme.css';
import './chat.css';
import type { ParleyClient } from '@parley/client-sdk';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { SignInForm } from '../shared/sign-in';
import { ChatApp } from './chat-app';

function Root() {
  const [client, setClient] = useState<ParleyClient | undefined>();
  if (!client)
    return <SignInForm title="Parley chat" allowRegister onSignedIn={(c) => setClient(c)} />;
  return <ChatApp client={client} onSignOut={() => setClient(undefined)} />;
}

render(<Root />, document.getElementById('app') as HTMLElement);
