// Two projects: fast unit tests of modules, and compat tests that start a broker
// process and drive unmodified clients against it over TCP.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
module.exports = {
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/src/**/*.test.ts'], transform, testEnvironment: 'node' },
    {
      displayName: 'compat',
      testMatch: ['<rootDir>/compat-tests/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
  ],
  testTimeout: 60000,
};
