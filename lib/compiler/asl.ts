/**
 * The small subset of Amazon States Language types the compiler builds: plain JSON objects, so
 * a definition serialises as is.
 *
 * @see https://states-language.net/spec.html
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/** The ASL state types. */
export type AslStateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Parallel' | 'Map' | 'Succeed' | 'Fail';

/** One state: its `Type` and the fields that type takes. */
export interface AslState extends JsonObject {
  Type: AslStateType;
}

/** A state machine, or the body of a Parallel branch or a Map's ItemProcessor. */
export interface AslStates extends JsonObject {
  StartAt: string;
  States: { [name: string]: AslState };
}

/** A compiled runbook: JSONPath ASL, `${Placeholder}` tokens for deploy-time resources. */
export interface AslDefinition extends AslStates {
  Comment: string;
}
