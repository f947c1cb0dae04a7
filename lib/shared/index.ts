export * from './clock.ts';
export * from './duration.ts';
export * from './errors.ts';
