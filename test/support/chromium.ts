// The browser the page tests drive: CHROMIUM_PATH, else Debian's /usr/bin/chromium, else one that
// Playwright installed. On a Debian machine where the tests run as root, a missing browser is
// installed with apt-get (as a developer would); anywhere else the run stops with the command to run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get install -y chromium fonts-liberation';

function findChromium(): string | undefined {
  const named = process.env.CHROMIUM_PATH;
  if (named) {
    if (!existsSync(named)) throw new Error(`CHROMIUM_PATH=${named} does not exist`);
    return named;
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const playwrights = chromium.executablePath();
  return existsSync(playwrights) ? playwrights : undefined;
}

export async function ensureChromium(log: (line: string) => void): Promise<string> {
  const found = findChromium();
  if (found) return found;
  if (userInfo().uid !== 0 || !existsSync('/etc/debian_version')) {
    throw new Error(`No Chromium for the browser tests: run \`sudo ${INSTALL}\` (or set CHROMIUM_PATH to a Chromium or Chrome executable)`);
  }
  log(`[test] no Chromium found: installing Debian's (${INSTALL}); this happens once`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-liberation'], { env, maxBuffer: 64 * 1024 * 1024 });
  if (!existsSync(DEBIAN_CHROMIUM)) throw new Error(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is missing`);
  return DEBIAN_CHROMIUM;
}
