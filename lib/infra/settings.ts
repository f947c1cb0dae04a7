/**
 * The deployment settings: read once from the CDK context (`cdk.json` → `context.ecsRunbooks`,
 * or `-c ecsRunbooks='{…}'`), checked, defaults applied. A bad value stops synth with a
 * {@link SettingsError} that names the setting, the value received and what is accepted.
 *
 * Pure: no CDK import, so the checks are unit-tested without a synth.
 */
import { SettingsError } from './errors.ts';

/** The CDK context key holding the settings object. */
export const SETTINGS_CONTEXT_KEY = 'ecsRunbooks';

/** CloudWatch Logs' accepted `RetentionInDays` values (also the output objects' lifetime). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The settings as written in cdk.json. */
export interface SettingsInput {
  /**
   * The ECS clusters runbooks may run commands in: names (in the stack's account and region)
   * or cluster ARNs. `ecs:ExecuteCommand`, ListTasks and DescribeTasks are allowed on these only.
   */
  readonly clusters: readonly string[];
  /**
   * The KMS key ARN of the clusters' ECS Exec `executeCommandConfiguration.kmsKeyId`, if they
   * encrypt sessions; the exec function may call `kms:GenerateDataKey` on this key only.
   *
   * @default - no KMS permission (sessions are not KMS-encrypted)
   */
  readonly execKmsKeyArn?: string;
  /**
   * Days that logs (Lambda, state machines, API access) and full command outputs are kept.
   *
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * The SNS topic ARN approval requests are published to.
   *
   * @default - the stack creates an encrypted topic
   */
  readonly approvalTopicArn?: string;
  /**
   * The stack's name.
   *
   * @default 'EcsRunbooks'
   */
  readonly stackName?: string;
  /**
   * Prefix of the state machine names: `<namePrefix>-<runbook>`.
   *
   * @default 'runbooks'
   */
  readonly namePrefix?: string;
  /**
   * The account to deploy to.
   *
   * @default - environment-agnostic (the account of the deploying credentials)
   */
  readonly account?: string;
  /**
   * The region to deploy to.
   *
   * @default - environment-agnostic (the region of the deploying credentials)
   */
  readonly region?: string;
}

/** Settings with defaults applied. */
export interface Settings {
  readonly clusters: readonly string[];
  readonly execKmsKeyArn?: string;
  readonly retentionDays: (typeof RETENTION_DAYS)[number];
  readonly approvalTopicArn?: string;
  readonly stackName: string;
  readonly namePrefix: string;
  readonly account?: string;
  readonly region?: string;
}

/** The defaults of {@link SettingsInput}. */
export const SETTINGS_DEFAULTS = {
  retentionDays: 30,
  stackName: 'EcsRunbooks',
  namePrefix: 'runbooks',
} as const satisfies Partial<Settings>;

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,64}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
// State machine names are at most 80 characters: leave 64 for the runbook name and the dash.
const NAME_PREFIX = /^[a-z][a-z0-9-]{0,14}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

type Check = (setting: string, value: unknown) => void;

function fail(setting: string, value: unknown, accepted: string): never {
  throw new SettingsError(
    setting,
    `setting ${setting} is ${JSON.stringify(value) ?? String(value)}; accepted: ${accepted}`,
  );
}

function pattern(re: RegExp, accepted: string): Check {
  return (setting, value) => {
    if (typeof value !== 'string' || !re.test(value)) fail(setting, value, accepted);
  };
}

const CHECKS: Record<keyof SettingsInput, Check> = {
  clusters: (setting, value) => {
    const accepted = 'a non-empty list of distinct ECS cluster names or cluster ARNs';
    if (!Array.isArray(value) || value.length === 0) fail(setting, value, accepted);
    for (const [i, item] of value.entries()) {
      if (typeof item !== 'string' || !(CLUSTER_NAME.test(item) || CLUSTER_ARN.test(item))) {
        fail(
          `${setting}[${i}]`,
          item,
          'a cluster name (letters, digits, - and _, up to 255) or arn:aws:ecs:<region>:<account>:cluster/<name>',
        );
      }
    }
    if (new Set(value).size !== value.length) fail(setting, value, accepted);
  },
  execKmsKeyArn: pattern(
    KMS_KEY_ARN,
    'a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key-id> (not an alias)',
  ),
  retentionDays: (setting, value) => {
    if (!(RETENTION_DAYS as readonly unknown[]).includes(value)) {
      fail(setting, value, `one of ${RETENTION_DAYS.join(', ')} (days, as CloudWatch Logs accepts)`);
    }
  },
  approvalTopicArn: pattern(SNS_TOPIC_ARN, 'an SNS topic ARN, arn:aws:sns:<region>:<account>:<topic>'),
  stackName: pattern(
    STACK_NAME,
    'a CloudFormation stack name: a letter, then letters, digits and -, up to 128',
  ),
  namePrefix: pattern(NAME_PREFIX, 'a lower-case letter, then lower-case letters, digits and -, up to 15'),
  account: pattern(ACCOUNT, 'a 12-digit AWS account id'),
  region: pattern(REGION, 'an AWS region name such as eu-west-1'),
};

/**
 * Reads the settings from the value of the {@link SETTINGS_CONTEXT_KEY} context key: an object,
 * or its JSON text (as `-c ecsRunbooks='{…}'` passes it). Unknown keys are rejected so a typo
 * fails loudly.
 *
 * @throws SettingsError for the first bad value.
 */
export function parseSettings(raw: unknown): Settings {
  const key = SETTINGS_CONTEXT_KEY;
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      fail(key, raw, 'a JSON object');
    }
  }
  if (value === undefined) {
    fail(key, value, `an object in cdk.json "context" with at least "clusters" (see docs/deploy.md)`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, value, 'an object');
  const input = value as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!(name in CHECKS))
      fail(`${key}.${name}`, input[name], `no such setting; known: ${Object.keys(CHECKS).join(', ')}`);
  }
  if (input.clusters === undefined)
    fail(`${key}.clusters`, undefined, 'a non-empty list of ECS cluster names or ARNs (required)');
  for (const [name, check] of Object.entries(CHECKS)) {
    if (input[name] !== undefined) check(`${key}.${name}`, input[name]);
  }
  return { ...SETTINGS_DEFAULTS, ...(input as unknown as SettingsInput) } as Settings;
}
