/**
 * The deployed runbook catalog (lib/runbook/catalog.ts) as the functions receive it: JSON in the
 * `RUNBOOK_CATALOG` environment variable, parsed once at cold start.
 */
import * as z from 'zod/mini';
import { CATALOG_ENV, type CatalogEntry, type RunbookCatalog } from '../runbook/index.ts';
import { InvalidInputError, parseInput } from './parse-input.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const parameterSchema = z.strictObject({
  name: z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
  type: z.enum(['string', 'integer', 'number', 'boolean', 'enum']),
  default: z.optional(scalar),
  required: z.boolean(),
  values: z.optional(z.array(z.string())),
  minimum: z.optional(z.number()),
  maximum: z.optional(z.number()),
  minLength: z.optional(z.int()),
  maxLength: z.optional(z.int()),
  pattern: z.optional(z.string()),
});

const entrySchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  stateMachineArn: z
    .string()
    .check(z.regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]+$/)),
  api: z.boolean(),
  parameters: z.array(parameterSchema),
  approvals: z.array(z.strictObject({ stepId: z.string(), next: z.string(), onReject: z.string() })),
});

const catalogSchema = z.strictObject({ runbooks: z.array(entrySchema) });

/** The environment variable that holds the catalog's JSON (defined once, in lib/runbook). */
export { CATALOG_ENV } from '../runbook/index.ts';

/**
 * Parses a catalog from its JSON text. Throws `InvalidInputError` naming each bad field (the
 * message names the setting, `what`), and for a runbook listed twice.
 */
export function parseCatalog(text: string, what = CATALOG_ENV): RunbookCatalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      what,
      [
        {
          field: '(root)',
          accepted: 'JSON text',
          message: `(root): received text that is not JSON; accepted: JSON text`,
        },
      ],
      { cause: error },
    );
  }
  const catalog: RunbookCatalog = parseInput(catalogSchema, json, what);
  const seen = new Set<string>();
  for (const [index, entry] of catalog.runbooks.entries()) {
    if (seen.has(entry.name)) {
      const field = `runbooks[${index}].name`;
      throw new InvalidInputError(what, [
        {
          field,
          value: entry.name,
          accepted: 'a name listed once',
          message: `${field}: ${entry.name} is listed twice`,
        },
      ]);
    }
    seen.add(entry.name);
  }
  return catalog;
}

/** The entry of runbook `name`, if the stack deploys it. */
export function catalogEntry(catalog: RunbookCatalog, name: string): CatalogEntry | undefined {
  return catalog.runbooks.find((entry) => entry.name === name);
}

/** The entry whose state machine ran `executionArn`'s execution, if any. */
export function catalogEntryOfExecution(
  catalog: RunbookCatalog,
  stateMachineArn: string,
): CatalogEntry | undefined {
  return catalog.runbooks.find((entry) => entry.stateMachineArn === stateMachineArn);
}
