import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { session } from './api';
import { startLive, stopLive, useLive } from './live';
import { navigate, useRoute } from './router';
import { SignIn } from './pages/SignIn';
import { Overview } from './pages/Overview';
import { Campaigns } from './pages/Campaigns';
import { CampaignForm } from './pages/CampaignForm';
import { CampaignPage } from './pages/CampaignPage';
import { ImportPage } from './pages/Import';
import { Calls } from './pages/Calls';
import { Contacts } from './pages/Contacts';
import { Settings } from './pages/Settings';
import { Tenants } from './pages/Tenants';

const pages: [string, string][] = [
  ['', 'Overview'],
  ['campaigns', 'Campaigns'],
  ['calls', 'Calls'],
  ['contacts', 'Contacts'],
  ['settings', 'Settings'],
];

function Page({ route }: { route: string[] }) {
  const [first, id, sub] = route;
  if (first === 'campaigns' && id === 'new') return <CampaignForm />;
  if (first === 'campaigns' && id && sub === 'edit') return <CampaignForm id={id} />;
  if (first === 'campaigns' && id && sub === 'import') return <ImportPage campaignId={id} />;
  if (first === 'campaigns' && id) return <CampaignPage id={id} />;
  if (first === 'campaigns') return <Campaigns />;
  if (first === 'calls') return <Calls callId={id} />;
  if (first === 'contacts') return <Contacts />;
  if (first === 'settings') return <Settings />;
  if (first === 'tenants') return <Tenants />;
  return <Overview />;
}

function LiveIndicator() {
  const [connected, setConnected] = useState(false);
  useLive((event) => {
    if (event.type === 'connection') setConnected(event.connected);
    if (event.type === 'ready') setConnected(true);
  });
  return (
    <span class={`live ${connected ? 'on' : 'off'}`} role="status" aria-label={connected ? 'Live updates on' : 'Live updates off'}>
      {connected ? '● live' : '○ offline'}
    </span>
  );
}

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(() => Boolean(session.key()));
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    if (signedIn) startLive();
    else stopLive();
  }, [signedIn]);
  useEffect(() => {
    const signOut = () => {
      session.signOut();
      setSignedIn(false);
    };
    window.addEventListener('pgdialer:unauthorized', signOut);
    return () => window.removeEventListener('pgdialer:unauthorized', signOut);
  }, []);
  useEffect(() => setMenuOpen(false), [route.join('/')]);

  if (route[0] === 'tenants') {
    return (
      <main class="narrow">
        <Tenants />
      </main>
    );
  }
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const current = route[0] ?? '';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          pgdialer
        </a>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="nav" aria-label="Main" class={menuOpen ? 'open' : ''}>
          {pages.map(([path, name]) => (
            <a key={path} href={`#/${path}`} aria-current={current === path ? 'page' : undefined}>
              {name}
            </a>
          ))}
        </nav>
        <LiveIndicator />
        <button
          type="button"
          class="link"
          onClick={() => {
            session.signOut();
            setSignedIn(false);
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
performance.mark('pgdialer:rendered');
