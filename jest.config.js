/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The generated Prisma client imports its TypeScript siblings as `./x.js`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/src/**/__tests__/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/worker-env.ts'],
  // Each file starts from an empty vhost: the queues of the files before it are deleted.
  setupFilesAfterEnv: ['<rootDir>/test/support/queue-hygiene.ts'],
  maxWorkers: 2,
  testTimeout: 60_000,
  // Every suite talks to real PostgreSQL, Redis and RabbitMQ; a slow machine must not flake.
  slowTestThreshold: 20,
};
