/**
 * The engine's Lambda functions as data: one row per `lambdas/<name>.ts` entry. The engine
 * construct creates one `NodejsFunction` per row; the placeholder column says which compiled
 * definition token the function's ARN replaces. Pure: no CDK import.
 */
import type { FixedPlaceholder } from '../compiler/index.ts';

/** The entry names: `lambdas/<name>.ts`, each exporting `handler`. */
export const FUNCTION_NAMES = [
  'exec',
  'targets',
  'fan-out-summary',
  'check-input',
  'approval-request',
  'api',
] as const;

/** One of {@link FUNCTION_NAMES}. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** How one function is deployed. */
export interface FunctionSpec {
  readonly name: FunctionName;
  /** What it does, for the function's description. */
  readonly description: string;
  /**
   * The placeholder a compiled definition uses for its ARN; absent for functions no state
   * machine invokes (the API's).
   */
  readonly placeholder?: FixedPlaceholder | 'CheckInputFnArn';
  /** Memory in MB. Lambda gives CPU in proportion: 1,769 MB is one vCPU. */
  readonly memoryMb: number;
  /** Timeout in seconds. */
  readonly timeoutSeconds: number;
  /** The size of /tmp in MB (512 to 10,240). @default 512 */
  readonly ephemeralStorageMb?: number;
}

/**
 * The functions. The exec function runs a whole batch of sessions (up to 25 at once) and must
 * outlive the longest command a step allows before the compiled state's backstop; 900 s is
 * Lambda's ceiling, and the handler watches its remaining time and ends cleanly before it.
 */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  {
    name: 'exec',
    description: 'Runs a step command in one ECS task, or a batch of tasks, over ECS Exec',
    placeholder: 'ExecFnArn',
    // One vCPU: a batch of 25 sessions at the agent's pace needs about 1.2 vCPU of decoding and
    // acknowledging (bench/exec-batch.ts, docs/deploy.md "The exec function's memory"), and
    // Node.js runs it on one thread, so past one vCPU little is gained.
    memoryMb: 1769,
    timeoutSeconds: 900,
    // Full outputs are staged in /tmp until the batch's records are final and uploaded (up to
    // 25 targets' outputs at once): Lambda's largest /tmp, so no output size short of it fails.
    // Storage over 512 MB costs about 1 % of the function's GB-seconds at 1,769 MB.
    ephemeralStorageMb: 10_240,
  },
  {
    name: 'targets',
    description: "Resolves a fan-out step's tasks and cuts them into batches",
    placeholder: 'TargetsFnArn',
    memoryMb: 512,
    timeoutSeconds: 120,
  },
  {
    name: 'fan-out-summary',
    description: "Applies a fan-out step's error budget to its batch results",
    placeholder: 'FanOutSummaryFnArn',
    memoryMb: 512,
    timeoutSeconds: 120,
  },
  {
    name: 'check-input',
    description: "Checks an execution's parameters against the runbook's types and limits",
    placeholder: 'CheckInputFnArn',
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  {
    name: 'approval-request',
    description: 'Publishes an approval request (with its task token) to the approval topic',
    placeholder: 'ApprovalFnArn',
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  {
    name: 'api',
    description: 'The runbook API: start executions, read their status, decide approvals',
    memoryMb: 512,
    timeoutSeconds: 29,
  },
];
