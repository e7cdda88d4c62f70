export * from './lib/stack';
export * from './lib/external';
export * from './lib/jaeger';
export * from './lib/http';
export * from './lib/poll';
export { portOpen } from './lib/processes';
export type { LogMode } from './lib/processes';
export * from './lib/resources';
export * from './lib/test-resources';
