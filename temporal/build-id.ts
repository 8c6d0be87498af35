// The build id of this checkout for Worker Deployment Versioning: the package version and the git
// commit, `0.1.0+3e488ca` (`.dirty` appended when tracked files differ from the commit). Computed
// once per process. Where there is no .git (a container image), TEMPORAL_BUILD_ID says it (config.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root: the nearest directory above this file with the project's package.json (also from dist/). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'order-provisioning') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json of order-provisioning not found above temporal/build-id');
    dir = parent;
  }
}

const git = (root: string, args: string[]): string | undefined => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  } catch {
    return undefined;
  }
};

let computed: { buildId: string | undefined; version: string } | undefined;

/**
 * `<version>+<short commit>[.dirty]` from package.json and git; `buildId` is undefined when git or
 * the checkout is not there (then TEMPORAL_BUILD_ID must say it in production).
 */
export function gitBuildId(): { buildId: string | undefined; version: string } {
  if (computed) return computed;
  const root = projectRoot();
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const commit = git(root, ['rev-parse', '--short', 'HEAD']);
  if (!commit) return (computed = { buildId: undefined, version });
  // Untracked files (a local .data, node_modules) do not count; changed tracked files do.
  const dirty = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return (computed = { buildId: `${version}+${commit}${dirty ? '.dirty' : ''}`, version });
}
