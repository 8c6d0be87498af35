// `npm run test:cluster`: the long proofs in test/long/ on Temporal Server itself, built from its Go
// module and persisting to PostgreSQL (test/support/global-setup-cluster.ts).
import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.js';

export default defineConfig({
  test: { ...shared, include: ['test/long/**/*.test.ts'], globalSetup: ['test/support/global-setup-cluster.ts'], hookTimeout: 300_000 },
});
