export * from './codec.ts';
export * from './message.ts';
