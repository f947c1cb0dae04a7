/**
 * Errors as the engine should see them, so that `Error` and `Cause` read locally as on AWS.
 *
 * aws-local-stepfunctions sets a caught error's `Error` to the thrown error's `name` and its
 * `Cause` to its `message`. On AWS, a Lambda Task's `Cause` is the runtime's JSON envelope
 * around the thrown error (`{ errorType, errorMessage, trace }`), and the compiled catch path
 * parses it (two `States.StringToJson`). So the runner throws, for each error of a Lambda-backed
 * handler, an error named as the original whose message is that envelope.
 */
import type { ErrorEnvelope } from '../handlers/index.ts';

/** An error for the engine: `name` becomes the state's `Error`, `message` its `Cause`. */
export class LocalTaskFailure extends Error {
  override readonly name: string;

  constructor(name: string, cause: string) {
    // No `cause` option: the engine reports `error.cause ?? error.message` as the Cause.
    super(cause);
    this.name = name;
  }
}

/**
 * The envelope of an error, as the Lambda runtime builds it. `trace` holds only the stack's
 * frames: the runtime's first trace line repeats `name: message`, which would double the size
 * of a step value in a Cause limited to 32,768 characters.
 */
export function envelopeOf(error: unknown): ErrorEnvelope {
  const err = error instanceof Error ? error : new Error(String(error));
  const trace = (err.stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '));
  return { errorType: err.name, errorMessage: err.message, trace };
}

/** The error the engine sees for an error a Lambda-backed handler threw. */
export function asLambdaError(error: unknown): LocalTaskFailure {
  const envelope = envelopeOf(error);
  return new LocalTaskFailure(envelope.errorType, JSON.stringify(envelope));
}
