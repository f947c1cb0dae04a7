/**
 * Errors the local Step Functions API answers with, as Step Functions does (AWS JSON 1.0):
 * HTTP 400 (500 for an internal failure) and `{"__type": "<Name>", "message": "…"}`, which
 * `@aws-sdk/client-sfn` turns into its typed exceptions (`ExecutionDoesNotExist`, …).
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 */

/** The error names the local Step Functions API answers with. */
export const SFN_API_ERROR_TYPES = [
  'ExecutionAlreadyExists',
  'ExecutionDoesNotExist',
  'InvalidArn',
  'InvalidExecutionInput',
  'InvalidName',
  'InvalidOutput',
  'InvalidToken',
  'StateMachineDoesNotExist',
  'TaskDoesNotExist',
  'TaskTimedOut',
  'ValidationException',
  'SerializationException',
  'UnknownOperationException',
  'InternalFailure',
] as const;

/** One of {@link SFN_API_ERROR_TYPES}. */
export type SfnApiErrorType = (typeof SFN_API_ERROR_TYPES)[number];

/** An error answer of the local Step Functions API. */
export class SfnApiError extends Error {
  override readonly name = 'SfnApiError';
  /** The AWS error name sent as `__type`. */
  readonly type: SfnApiErrorType;
  /** The HTTP status: 500 for InternalFailure, else 400. */
  readonly status: number;

  constructor(type: SfnApiErrorType, message: string) {
    super(message);
    this.type = type;
    this.status = type === 'InternalFailure' ? 500 : 400;
  }
}
