// The people-facing pages (SPEC §4 "Pages"): the Vite build of web/ — hashed bundles under
// /assets/ and the single-page app's index.html for /wizard/<token>, /consent/<token> and /rep…. The pages talk to
// the same API as everyone else; helmet's CSP applies to them unchanged (no inline scripts).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ProblemError } from '../problem.js';

/** web/dist beside the sources (tsx); dist/web/dist in the compiled build (scripts/build-assets.ts copies it). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const PAGE_ROUTES = ['/wizard/:token', '/consent/:token', '/rep', '/rep/*'];

export default async function webPages(
  app: FastifyInstance,
  { root = DEFAULT_WEB_ROOT, sourceMaps = true }: { root?: string; /** false in production: the maps publish the pages' sources. */ sourceMaps?: boolean },
) {
  const indexFile = path.join(root, 'index.html');
  if (!existsSync(indexFile)) {
    // The API works without the pages; say plainly how to get them instead of a bare 404.
    app.log.warn(`no web build at ${root}: run \`npm run build:web\` to serve the wizard and rep console`);
    for (const url of PAGE_ROUTES) {
      app.get(url, { schema: { hide: true } }, async () => {
        throw new ProblemError(503, 'web-not-built', 'Pages not built', 'The web pages are not built on this server: run `npm run build:web`.');
      });
    }
    return;
  }

  const indexHtml = await readFile(indexFile);
  // Bundles have content hashes in their names: cache them for good.
  await app.register(fastifyStatic, {
    root: path.join(root, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
    // A refused path falls through to the not-found answer, as if the file were not there.
    allowedPath: (pathName) => sourceMaps || !pathName.endsWith('.map'),
  });
  const sendIndex = async (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml);
  for (const url of PAGE_ROUTES) app.get(url, { schema: { hide: true } }, sendIndex);
  // Someone who opens the bare address is a rep or an operator: the console lists the orders.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/rep'));
}
