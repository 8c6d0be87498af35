// `npm run test:replicas`: the replica test alone (test/replicas/), with the suite's global setup.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({ test: { ...base.test, include: ['test/replicas/**/*.test.ts'], exclude: [] } });
