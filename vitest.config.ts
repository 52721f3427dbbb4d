import { defineConfig } from 'vitest/config';

// The load-balancer suite holds 100 requests a second through three instances while it
// restarts them one by one: beside another heavy suite (the build test compiles the whole
// project) its instances took 20 s to restart on two cores and requests timed out. It runs
// alone, after the rest.
const ALONE = ['e2e/load-balancer.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', '.tmp/**', ...ALONE],
          pool: 'forks',
          // Suites start real servers (Redis, Unleash, Chromium); two cores, so keep parallelism modest.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          pool: 'forks',
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
