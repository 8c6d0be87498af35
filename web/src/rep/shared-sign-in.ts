// A rep signs in once per browser session. The token lives in each tab's sessionStorage (never on
// disk, gone with the browser session); a new tab asks the open tabs for it over a
// BroadcastChannel, which only pages of this origin in this browser profile can hear.
const TOKEN_KEY = 'rep-token';
const CHANNEL = 'rep-sign-in';
/** How long a new tab waits for another tab's answer before it shows the sign-in form. */
const ASK_MS = 300;

type Message = { kind: 'ask' } | { kind: 'token'; token: string } | { kind: 'signed-out' };

export function storedToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function channel(): BroadcastChannel | undefined {
  return typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : undefined;
}

/** Answers other tabs' questions while this tab is signed in; follows a sign-out in any tab. Returns the unsubscribe. */
export function shareSignIn(onSignedOutElsewhere: () => void): () => void {
  const bus = channel();
  if (!bus) return () => {};
  bus.onmessage = (event: MessageEvent<Message>) => {
    const token = storedToken();
    if (event.data.kind === 'ask' && token) bus.postMessage({ kind: 'token', token } satisfies Message);
    if (event.data.kind === 'signed-out') {
      window.sessionStorage.removeItem(TOKEN_KEY);
      onSignedOutElsewhere();
    }
  };
  return () => bus.close();
}

/** The token of another open tab of this browser session, if one answers in time. */
export function askOtherTabs(): Promise<string | null> {
  const bus = channel();
  if (!bus) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (token: string | null) => {
      window.clearTimeout(timer);
      bus.close();
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
      resolve(token);
    };
    const timer = window.setTimeout(() => done(null), ASK_MS);
    bus.onmessage = (event: MessageEvent<Message>) => {
      if (event.data.kind === 'token') done(event.data.token);
    };
    bus.postMessage({ kind: 'ask' } satisfies Message);
  });
}

export function rememberToken(token: string) {
  window.sessionStorage.setItem(TOKEN_KEY, token);
}

/** Signs out this tab and every other tab of the session. */
export function forgetToken() {
  window.sessionStorage.removeItem(TOKEN_KEY);
  const bus = channel();
  bus?.postMessage({ kind: 'signed-out' } satisfies Message);
  bus?.close();
}
