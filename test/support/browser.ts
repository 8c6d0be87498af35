// Chromium for the page tests (test/*-browser.test.ts, test/browser.test.ts): the run's browser
// (test/support/chromium.ts) with a fresh profile, and tabs that record what must never happen on
// our pages — Content Security Policy violations and uncaught script errors.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { type Harness, startHarness } from './harness.js';
import { freePort } from './processes.js';

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
/** axe-core's source, evaluated in a page to check it. */
export const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export type CheckedPage = Page & { problems: string[] };

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab that records CSP violations and page errors. */
  openPage(viewport?: { width: number; height: number }): Promise<CheckedPage>;
  /** Fails the test if the tab saw a CSP violation or a page error, then closes it. */
  closePage(page: CheckedPage): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(options: { acceptDownloads?: boolean } = {}): Promise<TestBrowser> {
  const profileDir = await mkdtemp(path.join(tmpdir(), 'orders-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: inject('chromiumPath'),
    headless: true,
    viewport: DESKTOP,
    ...(options.acceptDownloads ? { acceptDownloads: true } : {}),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async openPage(viewport = DESKTOP) {
      const page = (await context.newPage()) as CheckedPage;
      page.problems = [];
      await page.setViewportSize(viewport);
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) page.problems.push(`CSP: ${message.text()}`);
      });
      page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
      return page;
    },
    async closePage(page) {
      expect(page.problems).toEqual([]);
      await page.close();
    },
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshot into `dir` (the whole page; the viewport when a modal dialog covers it), then axe: no
 * serious or critical violation, and nothing scrolls sideways.
 */
export async function checkPage(page: Page, dir: string, name: string, { fullPage = true } = {}) {
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage });
  await page.evaluate(AXE_SOURCE);
  // In-page code as strings: this project's TypeScript has no DOM types, the page has no Node.
  // The dev outbox shows each email in a sandboxed frame where no script (axe included) may run.
  const violations = (await page.evaluate(`axe
    .run(document, { resultTypes: ['violations'], rules: { 'frame-tested': { enabled: false } } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as Array<{
    id: string;
    impact: string;
    help: string;
    targets: string[];
  }>;
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `axe on ${name}`).toEqual([]);
  const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
  expect(width, `${name} scrolls sideways`).toBeLessThanOrEqual(page.viewportSize()!.width);
}

/** The app listening on a free port that PUBLIC_BASE_URL names, and a fresh browser to visit it with. */
export interface BrowserStand {
  h: Harness;
  base: string;
  browser: TestBrowser;
  close(): Promise<void>;
}

/** Starts a harness with `env` listening at `base`, makes `screenshots`, launches the browser. */
export async function startBrowserStand(screenshots: string, env: Record<string, string> = {}): Promise<BrowserStand> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const h = await startHarness({ PUBLIC_BASE_URL: base, ...env });
  try {
    await h.app.listen({ port, host: '127.0.0.1' });
    await mkdir(screenshots, { recursive: true });
    const browser = await launchBrowser();
    return {
      h,
      base,
      browser,
      async close() {
        await browser.close();
        await h.close();
      },
    };
  } catch (error) {
    await h.close();
    throw error;
  }
}
