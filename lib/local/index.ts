export * from './agent.ts';
export * from './kms.ts';
