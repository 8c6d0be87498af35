// The web pages' production build (web/dist), made when it is missing or older than its sources:
// `npm start` and the test run call `ensureWebBuild` so neither needs an extra step.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Vite from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'web');
export const WEB_DIST = path.join(webDir, 'dist');
/** What the build reads besides node_modules: web/src, plus domain/ for the shared form rules. */
const SOURCES = [path.join(webDir, 'src'), path.join(webDir, 'index.html'), path.join(webDir, 'vite.config.ts'), path.join(root, 'domain')];

async function newestChange(entry: string): Promise<number> {
  const info = await stat(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestChange(path.join(entry, child))));
  return Math.max(info.mtimeMs, ...times);
}

export async function webBuildIsStale(): Promise<boolean> {
  const built = path.join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = (await stat(built)).mtimeMs;
  const sources = await Promise.all(SOURCES.filter((source) => existsSync(source)).map(newestChange));
  return Math.max(...sources) > builtAt;
}

/** Vite's own output: warnings by default; the test run asks for errors only. */
export interface WebBuildOptions {
  logLevel?: 'warn' | 'error';
}

export async function buildWeb({ logLevel = 'warn' }: WebBuildOptions = {}): Promise<void> {
  if (!existsSync(path.join(webDir, 'src'))) throw new Error(`no web build at ${WEB_DIST} and no sources to build it from: run \`npm run build\``);
  let vite: typeof Vite;
  try {
    vite = await import('vite');
  } catch (error) {
    throw new Error('web/dist is missing or out of date and Vite is not installed: run `npm ci` (with dev dependencies), then `npm run build:web`', {
      cause: error,
    });
  }
  await vite.build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel });
}

/** Builds web/dist when it is missing or older than its sources; says so through `log`. */
export async function ensureWebBuild(log: (line: string) => void, options: WebBuildOptions = {}): Promise<void> {
  if (!(await webBuildIsStale())) return;
  log('building the web pages (web/dist is missing or older than web/src)');
  await buildWeb(options);
  log('web pages built into web/dist');
}
