import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ConsentApp } from './consent/ConsentApp';
import { RepApp } from './rep/RepApp';
import { useLocation } from './router';
import { Shell, usePageTitle } from './ui';
import { WizardApp } from './wizard/WizardApp';
import './styles.css';

function NotFound() {
  usePageTitle('Page not found');
  return (
    <Shell product="Order setup">
      <h1>Page not found</h1>
      <p>Open the link from your email again, or go to the <a href="/rep">rep console</a>.</p>
    </Shell>
  );
}

function App() {
  const { pathname } = useLocation();
  const wizard = /^\/wizard\/([^/]+)\/?$/.exec(pathname);
  if (wizard) return <WizardApp key={wizard[1]} token={decodeURIComponent(wizard[1]!)} />;
  const consent = /^\/consent\/([^/]+)\/?$/.exec(pathname);
  if (consent) return <ConsentApp key={consent[1]} token={decodeURIComponent(consent[1]!)} />;
  if (pathname === '/rep' || pathname === '/rep/') return <RepApp page={{ kind: 'list' }} />;
  if (pathname === '/rep/desk' || pathname === '/rep/desk/') return <RepApp page={{ kind: 'desk' }} />;
  const order = /^\/rep\/orders\/([^/]+)\/?$/.exec(pathname);
  if (order) return <RepApp page={{ kind: 'order', orderId: decodeURIComponent(order[1]!) }} />;
  return <NotFound />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
