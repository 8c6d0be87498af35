// Meeting-site subdomains (SPEC §3 step 10c): the syntax rules every caller shares. Pure — the
// workflow's step validator, the API's availability check and the reservation activity all use it,
// so a name refused in one place is refused everywhere. Whether a name is taken needs the database
// (db/queries/sites.ts); the unique index on the sites table is what finally decides.

/**
 * One DNS label of 3–63 characters: lower-case letters, digits and hyphens, starting and ending
 * with a letter or digit. The database checks the same pattern on every stored subdomain;
 * `checkSubdomainSyntax` accepts only names that match it.
 */
export const SUBDOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$/;

export const SUBDOMAIN_MIN_LENGTH = 3;
export const SUBDOMAIN_MAX_LENGTH = 63;

/**
 * Names no customer may take: they look like Cisco's or Webex's own services, are commonly used for
 * infrastructure, or invite phishing (a customer site at `login.` or `support.` misleads users).
 */
export const RESERVED_SUBDOMAINS: ReadonlySet<string> = new Set([
  // Webex and Cisco themselves
  'webex',
  'cisco',
  'meet',
  'meets',
  'meeting',
  'meetings',
  'teams',
  'calling',
  'messaging',
  'events',
  'webinar',
  'webinars',
  // Sign-in and accounts
  'login',
  'logout',
  'signin',
  'signout',
  'signup',
  'register',
  'auth',
  'oauth',
  'sso',
  'idp',
  'saml',
  'account',
  'accounts',
  'billing',
  'payment',
  'payments',
  'secure',
  'security',
  // Help and operations
  'support',
  'help',
  'helpdesk',
  'status',
  'docs',
  'documentation',
  'developer',
  'developers',
  'abuse',
  'noc',
  // Infrastructure
  'www',
  'api',
  'app',
  'apps',
  'admin',
  'administrator',
  'root',
  'portal',
  'dashboard',
  'console',
  'control',
  'mail',
  'email',
  'smtp',
  'imap',
  'pop',
  'pop3',
  'mx',
  'ftp',
  'sftp',
  'ns',
  'ns1',
  'ns2',
  'dns',
  'cdn',
  'static',
  'assets',
  'media',
  'files',
  'upload',
  'uploads',
  'download',
  'downloads',
  'vpn',
  'proxy',
  'gateway',
  'internal',
  'intranet',
  'localhost',
  'postmaster',
  'hostmaster',
  'webmaster',
  // Environments
  'dev',
  'test',
  'testing',
  'qa',
  'stage',
  'staging',
  'demo',
  'sandbox',
  'beta',
  'prod',
  'production',
]);

export type SubdomainSyntax =
  | { ok: true; subdomain: string }
  /** `code` and `values` name the message for translation (domain/field-error.ts). */
  | { ok: false; reason: 'malformed' | 'reserved'; message: string; code: string; values?: Record<string, string | number> };

/** What people type is compared and stored trimmed and in lower case: `Acme` and `acme` are one site. */
export function normaliseSubdomain(name: string): string {
  return name.trim().toLowerCase();
}

/** Normalises `name` and says whether it may name a site, with a message a form can show. */
export function checkSubdomainSyntax(name: string): SubdomainSyntax {
  const subdomain = normaliseSubdomain(name);
  const malformed = (code: string, message: string, values?: Record<string, number>): SubdomainSyntax => ({
    ok: false,
    reason: 'malformed',
    message,
    code,
    ...(values ? { values } : {}),
  });

  if (subdomain.length === 0) return malformed('subdomainEmpty', 'Enter a subdomain.');
  if (subdomain.length < SUBDOMAIN_MIN_LENGTH) {
    return malformed('subdomainShort', `A subdomain has at least ${SUBDOMAIN_MIN_LENGTH} characters.`, { min: SUBDOMAIN_MIN_LENGTH });
  }
  if (subdomain.length > SUBDOMAIN_MAX_LENGTH) {
    return malformed('subdomainLong', `A subdomain has at most ${SUBDOMAIN_MAX_LENGTH} characters.`, { max: SUBDOMAIN_MAX_LENGTH });
  }
  if (!/^[a-z0-9-]+$/.test(subdomain)) {
    return malformed('subdomainCharacters', 'Use only letters a–z, digits and hyphens.');
  }
  if (subdomain.startsWith('-') || subdomain.endsWith('-')) {
    return malformed('subdomainHyphenEnds', 'A subdomain cannot start or end with a hyphen.');
  }
  // Hyphens in the third and fourth places mark internationalised names (`xn--…`, RFC 5891):
  // such a label would display as a different name than the one typed.
  if (subdomain.slice(2, 4) === '--') {
    return malformed('subdomainIdn', 'A subdomain cannot have hyphens in both the third and fourth places.');
  }
  if (RESERVED_SUBDOMAINS.has(subdomain)) {
    return { ok: false, reason: 'reserved', message: `${subdomain} is reserved; choose another name.`, code: 'subdomainReserved', values: { subdomain } };
  }
  return { ok: true, subdomain };
}
