// After `tsc`: what the compiled service needs beside its .js files — the migrations, the common
// password list, and a prebuilt workflow bundle so a production worker starts without webpack.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

await cp(path.join(root, 'db/migrations'), path.join(dist, 'db/migrations'), { recursive: true });
await mkdir(path.join(dist, 'domain'), { recursive: true });
await cp(path.join(root, 'domain/common-passwords.txt'), path.join(dist, 'domain/common-passwords.txt'));
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts') });
await writeFile(path.join(dist, 'workflow-bundle.js'), code);
console.log(`[build] dist/ has the migrations, the password list and the workflow bundle (${Math.round(code.length / 1024)} KiB)`);
