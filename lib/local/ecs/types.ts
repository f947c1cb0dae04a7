import type { AWS_EXEC_ERROR_NAMES } from '../../shared/errors.ts';

/** The ECS operations the local API serves. */
export const ECS_OPERATIONS = [
  'ExecuteCommand',
  'DescribeTasks',
  'ListTasks',
  'DescribeClusters',
  'ListClusters',
  'ListServices',
  'DescribeServices',
] as const;

/** One of {@link ECS_OPERATIONS}. */
export type EcsOperation = (typeof ECS_OPERATIONS)[number];

/** The AWS error names of `ecs:ExecuteCommand` (docs/errors.md). */
export type AwsExecErrorName = (typeof AWS_EXEC_ERROR_NAMES)[number];

/** What the local ECS API asks its data-channel agent for, one per ExecuteCommand. */
export interface SessionRequest {
  /** The command string, as ExecuteCommand received it (the agent shlex-splits it). */
  readonly command: string;
  /** Absolute working directory of the command. */
  readonly workdir: string;
  /** The container's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The agent's identity, `ecs:<cluster>_<taskId>_<runtimeId>` (channel_closed's DestinationId). */
  readonly targetId: string;
  /** Set when the cluster has a KMS key: the session runs the KMS handshake. */
  readonly kms?: { readonly keyId: string; readonly targetId: string };
  /** Words put before the command's argv (the docker-exec backend). */
  readonly argvPrefix?: readonly string[];
}

/** A session as ExecuteCommand returns it. */
export interface SessionTicket {
  readonly sessionId: string;
  readonly streamUrl: string;
  readonly tokenValue: string;
}

/** The part of the local agent the ECS API uses. */
export interface SessionFactory {
  createSession(request: SessionRequest): SessionTicket | Promise<SessionTicket>;
}
