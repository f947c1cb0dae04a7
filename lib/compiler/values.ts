/**
 * Templates and arguments to payload-template fields: a literal, a `.$` path, or a
 * `States.Format` intrinsic.
 */
import type { ArgumentValue, Template } from '../runbook/model.ts';
import type { JsonObject } from './asl.ts';
import { CompileError } from './errors.ts';
import { referencePath } from './layout.ts';

/** A field's value: a literal, or what a `<key>.$` field evaluates (a path or an intrinsic). */
export type FieldValue =
  | { readonly literal: string | number | boolean | null }
  | { readonly dynamic: string };

/** AWS allows at most ten intrinsic functions in one field. */
const MAX_INTRINSICS = 10;

/**
 * Escapes text for an intrinsic function's string literal: `'`, `{` and `}` take a backslash.
 * A backslash cannot be written (asl-validator rejects `\\`), so callers route text with one
 * through `States.Base64Decode`.
 */
function intrinsicLiteral(text: string): string {
  return `'${text.replace(/['{}]/g, (c) => `\\${c}`)}'`;
}

/**
 * The value of a template.
 *
 * Text only: a literal. Exactly one reference: its path (keeping the value's type) unless
 * `asString` asks for text, then `States.Format('{}', path)`. Anything else: `States.Format`,
 * each text piece a literal, except pieces holding a backslash, which become
 * `States.Base64Decode('…')` arguments.
 */
export function templateValue(template: Template, options: { readonly asString?: boolean } = {}): FieldValue {
  const { parts } = template;
  if (parts.length === 0) return { literal: '' };
  if (parts.every((part) => part.kind === 'text')) return { literal: parts.map((p) => p.text).join('') };
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'reference') {
    const path = referencePath(only.reference);
    return options.asString && template.type.base !== 'string'
      ? { dynamic: `States.Format('{}', ${path})` }
      : { dynamic: path };
  }
  let format = '';
  const args: string[] = [];
  let intrinsics = 1;
  for (const part of parts) {
    if (part.kind === 'reference') {
      format += '{}';
      args.push(referencePath(part.reference));
    } else if (part.text.includes('\\')) {
      format += '{}';
      args.push(`States.Base64Decode('${Buffer.from(part.text, 'utf8').toString('base64')}')`);
      intrinsics++;
    } else {
      format += intrinsicLiteral(part.text).slice(1, -1);
    }
  }
  if (intrinsics > MAX_INTRINSICS) {
    throw new CompileError(
      'TEMPLATE_TOO_COMPLEX',
      `a template has ${intrinsics - 1} text pieces containing a backslash between its references; at most ${
        MAX_INTRINSICS - 1
      } fit in one Step Functions field (AWS nests at most ${MAX_INTRINSICS} intrinsic functions)`,
    );
  }
  return { dynamic: `States.Format('${format}', ${args.join(', ')})` };
}

/** The value of a runbook argument or output: a literal of any scalar type, or a template. */
export function argumentValue(value: ArgumentValue): FieldValue {
  return value.kind === 'literal' ? { literal: value.value } : templateValue(value.template);
}

/** Sets `key` (literal) or `key.$` (dynamic) on `target`. */
export function setField(target: JsonObject, key: string, value: FieldValue): void {
  if ('literal' in value) target[key] = value.literal;
  else target[`${key}.$`] = value.dynamic;
}
