/**
 * Errors the local ECS API answers with, as AWS does: HTTP 400 (500 for ServerException) and
 * `{"__type": "<Name>", "message": "…"}`, which the SDK turns into its typed exceptions.
 */

/** Error names the local ECS API can answer with. */
export type EcsApiErrorType =
  | 'AccessDeniedException'
  | 'ClientException'
  | 'ClusterNotFoundException'
  | 'InvalidParameterException'
  | 'ServerException'
  | 'ServiceNotFoundException'
  | 'TargetNotConnectedException'
  | 'ThrottlingException'
  | 'SerializationException'
  | 'UnknownOperationException';

/** An error answer of the local ECS API. */
export class EcsApiError extends Error {
  override readonly name = 'EcsApiError';
  /** The AWS error name sent as `__type`. */
  readonly type: EcsApiErrorType;
  /** The HTTP status: 500 for ServerException, else 400. */
  readonly status: number;

  constructor(type: EcsApiErrorType, message: string) {
    super(message);
    this.type = type;
    this.status = type === 'ServerException' ? 500 : 400;
  }
}

/** AWS's messages, verbatim where AWS's wording is known. */
export const MESSAGES = {
  clusterNotFound: 'Cluster not found.',
  serviceNotFound: 'Service not found.',
  targetNotConnected: 'The execute command failed due to an internal error. Try again later.',
  execNotEnabled:
    "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try the request again.",
  interactiveOnly: 'Interactive is the only mode supported currently.',
  taskIdLength: 'task length should be one of [32,36]',
  rateExceeded: 'Rate exceeded',
  serverError: 'Service Unavailable. Please try again later.',
} as const;
