// `npm run test:replicas`: the long proofs in test/long/ on the Temporal dev server.
import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.js';

export default defineConfig({
  test: { ...shared, include: ['test/long/**/*.test.ts'], globalSetup: ['test/support/global-setup.ts'], hookTimeout: 300_000 },
});
