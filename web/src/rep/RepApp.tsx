// The rep console: sign in with a rep token (once per browser session: shared-sign-in.ts), then
// the order list and each order's page.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { Link } from '../router';
import { Button, FormErrors, Shell, Spinner, TextField, useFocusOnMount, usePageTitle } from '../ui';
import { Desk } from './Desk';
import { OrderList } from './OrderList';
import { OrderPage } from './OrderPage';
import { askOtherTabs, forgetToken, rememberToken, shareSignIn, storedToken } from './shared-sign-in';

export type RepPage = { kind: 'list' } | { kind: 'desk' } | { kind: 'order'; orderId: string };

export interface RepSession {
  token: string;
  /** The token was refused: back to the sign-in form with a message. */
  expired: () => void;
}

export function RepApp({ page }: { page: RepPage }) {
  const [token, setToken] = useState<string | null>(storedToken);
  // A tab opened without a token first asks the session's other tabs.
  const [asking, setAsking] = useState(token === null);
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    if (!asking) return;
    let current = true;
    void askOtherTabs().then((shared) => {
      if (!current) return;
      if (shared) setToken(shared);
      setAsking(false);
    });
    return () => {
      current = false;
    };
  }, [asking]);
  useEffect(
    () =>
      shareSignIn(() => {
        setNotice('You signed out in another tab.');
        setToken(null);
      }),
    [],
  );

  const signIn = (value: string) => {
    rememberToken(value);
    setNotice(undefined);
    setToken(value);
  };
  const signOut = useCallback((message?: string) => {
    forgetToken();
    setNotice(message);
    setToken(null);
  }, []);
  const expired = useCallback(() => signOut('Your rep token was not accepted. Sign in again.'), [signOut]);

  if (asking) {
    return (
      <Shell product="Rep console">
        <Spinner label="Signing you in…" />
      </Shell>
    );
  }
  if (!token) return <SignIn onSignedIn={signIn} notice={notice} />;
  const session: RepSession = { token, expired };
  return (
    <Shell
      product="Rep console"
      wide
      aside={
        <nav className="topnav" aria-label="Rep console">
          <Link href="/rep" aria-current={page.kind === 'list' ? 'page' : undefined}>
            Orders
          </Link>
          <Link href="/rep/desk" aria-current={page.kind === 'desk' ? 'page' : undefined}>
            Desk
          </Link>
          <Button variant="ghost" className="btn-on-dark" onClick={() => signOut('You are signed out.')}>
            Sign out
          </Button>
        </nav>
      }
    >
      {page.kind === 'list' ? (
        <OrderList session={session} />
      ) : page.kind === 'desk' ? (
        <Desk session={session} />
      ) : (
        <OrderPage key={page.orderId} orderId={page.orderId} session={session} />
      )}
    </Shell>
  );
}

function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string) => void; notice: string | undefined }) {
  usePageTitle('Sign in – Rep console');
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (error) document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setFormError(undefined);
    const token = value.trim();
    if (!token) return setError('Enter your rep token.');
    setBusy(true);
    try {
      // The cheapest call that proves the token: one list item.
      await api('/api/orders?limit=1', { token });
      onSignedIn(token);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) setError('This token is not valid.');
      else setFormError(failure instanceof Error ? failure.message : 'Sign-in failed.');
      setBusy(false);
    }
  };

  return (
    <Shell product="Rep console">
      <section className="card narrow" aria-labelledby="signin-title">
        <h1 id="signin-title" ref={heading} tabIndex={-1}>
          Sign in
        </h1>
        <p>
          Use the rep token your administrator gave you (one of REP_API_TOKENS), or an access token from your company’s sign-in service. You stay signed in,
          in every tab, until you sign out or close the browser.
        </p>
        {notice && <p className="notice">{notice}</p>}
        <form onSubmit={submit} noValidate>
          <FormErrors messages={formError ? [formError] : []} />
          <TextField
            label="Rep token"
            name="token"
            type="password"
            autoComplete="current-password"
            value={value}
            onChange={(event) => setValue(event.target.value)}
            error={error}
          />
          <div className="actions">
            <Button type="submit" busy={busy}>
              Sign in
            </Button>
          </div>
        </form>
      </section>
    </Shell>
  );
}
