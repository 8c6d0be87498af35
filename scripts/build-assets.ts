// After `tsc`: what the compiled service needs beside its .js files — the migrations, the common
// password list, and a prebuilt workflow bundle so a production worker starts without webpack.
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

await cp(path.join(root, 'db/migrations'), path.join(dist, 'db/migrations'), { recursive: true });
await mkdir(path.join(dist, 'domain'), { recursive: true });
await cp(path.join(root, 'domain/common-passwords.txt'), path.join(dist, 'domain/common-passwords.txt'));
// The web pages, where the compiled api/routes/web-pages.js looks for them.
await rm(path.join(dist, 'web'), { recursive: true, force: true });
await cp(path.join(root, 'web/dist'), path.join(dist, 'web/dist'), { recursive: true });
// Plain CommonJS that the SDK require()s beside dist/temporal/data-converter.js.
await cp(FAILURE_CONVERTER_PATH, path.join(dist, 'temporal', path.basename(FAILURE_CONVERTER_PATH)));
const workflowsPath = path.join(root, 'workflows/index.ts');
const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath: FAILURE_CONVERTER_PATH });
await writeFile(path.join(dist, 'workflow-bundle.js'), code);
// For a worker with OTEL_EXPORTER_OTLP_ENDPOINT: the same workflows with Temporal's tracing interceptors.
const traced = await bundleWorkflowCode({
  workflowsPath,
  failureConverterPath: FAILURE_CONVERTER_PATH,
  workflowInterceptorModules: [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
});
await writeFile(path.join(dist, 'workflow-bundle-traced.js'), traced.code);
console.log(`[build] dist/ has the migrations, the password list, the web pages and the workflow bundle (${Math.round(code.length / 1024)} KiB)`);
