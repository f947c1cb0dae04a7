/**
 * The environment the functions read at cold start: the names the
 * stack sets (docs/api.md#settings) and their parsing, so a missing or bad value stops the
 * function with a message that names the variable, the value and what is accepted.
 */
import * as z from 'zod/mini';
import type { RunbookCatalog } from '../runbook/index.ts';
import { parseCatalog } from './catalog.ts';
import { parseInput } from './parse-input.ts';

/** The environment variable names. */
export const FUNCTION_ENV = {
  /** The deployed runbook catalog, JSON (lib/runbook/catalog.ts). Both functions. */
  catalog: 'RUNBOOK_CATALOG',
  /** The API's base URL, stage included. Required by approval-request; optional for api. */
  apiUrl: 'API_URL',
  /** The SNS topic approval requests go to. approval-request only. */
  approvalTopicArn: 'APPROVAL_TOPIC_ARN',
  /**
   * The output bucket's name. exec, targets and fan-out-summary: when set, full outputs and
   * Distributed Map items go to S3 (the bucket each event names), else to a local directory.
   */
  outputBucket: 'OUTPUT_BUCKET',
} as const;

const url = z.string().check(z.regex(/^https:\/\/[^\s/]+(\/\S*)?$/));
const topicArn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/));

/** What the api function reads. */
export interface ApiSettings {
  readonly catalog: RunbookCatalog;
  readonly apiUrl?: string;
}

/** What the approval-request function reads. */
export interface ApprovalRequestSettings {
  readonly catalog: RunbookCatalog;
  readonly apiUrl: string;
  readonly topicArn: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function catalogOf(env: Env): RunbookCatalog {
  return parseCatalog(env[FUNCTION_ENV.catalog] ?? '', FUNCTION_ENV.catalog);
}

/** The api function's settings; throws `InvalidInputError` naming each bad variable. */
export function readApiSettings(env: Env): ApiSettings {
  const { [FUNCTION_ENV.apiUrl]: apiUrl } = parseInput(
    z.object({ [FUNCTION_ENV.apiUrl]: z.optional(url) }),
    { [FUNCTION_ENV.apiUrl]: env[FUNCTION_ENV.apiUrl] },
    'api function environment',
  );
  return { catalog: catalogOf(env), ...(apiUrl === undefined ? {} : { apiUrl }) };
}

/** The approval-request function's settings; throws `InvalidInputError` naming each bad variable. */
export function readApprovalRequestSettings(env: Env): ApprovalRequestSettings {
  const parsed = parseInput(
    z.object({ [FUNCTION_ENV.apiUrl]: url, [FUNCTION_ENV.approvalTopicArn]: topicArn }),
    {
      [FUNCTION_ENV.apiUrl]: env[FUNCTION_ENV.apiUrl],
      [FUNCTION_ENV.approvalTopicArn]: env[FUNCTION_ENV.approvalTopicArn],
    },
    'approval-request function environment',
  );
  return {
    catalog: catalogOf(env),
    apiUrl: parsed[FUNCTION_ENV.apiUrl],
    topicArn: parsed[FUNCTION_ENV.approvalTopicArn],
  };
}
