/**
 * Errors of the local KMS, named exactly as AWS KMS names them, so the real SDK raises the
 * matching typed exception and callers match on `error.name` alike for AWS and local.
 */

/** AWS KMS error names the local KMS raises. */
export type KmsErrorName =
  | 'NotFoundException'
  | 'InvalidCiphertextException'
  | 'IncorrectKeyException'
  | 'ValidationException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'KMSInternalException';

/** An AWS KMS error raised by the local KMS (HTTP 400, or 500 for KMSInternalException). */
export class KmsError extends Error {
  override readonly name: KmsErrorName;
  /** HTTP status the local endpoint answers with. */
  readonly statusCode: 400 | 500;

  constructor(name: KmsErrorName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
    this.statusCode = name === 'KMSInternalException' ? 500 : 400;
  }
}
