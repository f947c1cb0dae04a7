/**
 * A step's `command`: the shell script, its syntax, and where each `${{ … }}` sits in it
 * (quotes, heredocs, arithmetic, comments), which decides how its value reaches the shell.
 */
import { classifyCommand } from '../commands.ts';
import { findExpressions, formatType } from '../expressions.ts';
import type { Command, CommandExpression } from '../model.ts';
import { scalarOffsets, scalarSpanRange, type YamlNode } from '../parse.ts';
import { referenceIn } from './references.ts';
import type { Scope } from './scope.ts';
import type { Validation } from './shapes.ts';

export function readCommand(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
): Command | undefined {
  const what = `${where}: command`;
  const script = ctx.string(node, what);
  if (script === undefined || node.kind !== 'scalar') return undefined;
  if (script.trim() === '') {
    ctx.report('INVALID_VALUE', node.range, `${what} is empty; ECS Exec refuses an empty command`);
    return undefined;
  }
  const spans = findExpressions(script);
  const offsets = scalarOffsets(node);
  const { contexts, problems, hazards, afterDollar } = classifyCommand(script, spans);
  for (const p of problems) {
    ctx.report(
      'COMMAND_SYNTAX',
      scalarSpanRange(ctx.positions, node, offsets, p.start, p.end),
      `in ${what}: ${p.message}`,
    );
  }
  const expressions: CommandExpression[] = [];
  let ok = true;
  spans.forEach((span, index) => {
    const reference = referenceIn(ctx, node, offsets, span, scope, what);
    const range = scalarSpanRange(ctx.positions, node, offsets, span.start, span.end);
    const context = contexts[index] ?? 'unquoted';
    if (!reference) {
      ok = false;
      return;
    }
    switch (context) {
      case 'single-quotes':
      case 'ansi-c-quotes':
      case 'literal-heredoc': {
        const place =
          context === 'single-quotes'
            ? "single quotes ('…')"
            : context === 'ansi-c-quotes'
              ? "$'…' quotes"
              : "a heredoc with a quoted delimiter (<<'EOF')";
        ctx.report(
          'EXPRESSION_IN_SINGLE_QUOTES',
          range,
          `in ${what}: ${reference.path} sits inside ${place}, where no variable expands; move it outside the quotes or into double quotes ("…${span.inner.trim() ? `\${{ ${span.inner.trim()} }}` : ''}…")`,
        );
        ok = false;
        return;
      }
      case 'backticks':
        ctx.report(
          'EXPRESSION_IN_BACKTICKS',
          range,
          `in ${what}: ${reference.path} sits inside a backtick command substitution, whose quoting cannot be rewritten safely; use $( … ) instead`,
        );
        ok = false;
        return;
      case 'escaped':
        ctx.report(
          'EXPRESSION_IN_SINGLE_QUOTES',
          range,
          `in ${what}: a backslash escapes the "$" of this expression, so its value could not expand; remove the backslash`,
        );
        ok = false;
        return;
      case 'arithmetic':
        if (!['integer', 'number', 'unknown'].includes(reference.type.base)) {
          ctx.report(
            'EXPRESSION_IN_ARITHMETIC',
            range,
            `in ${what}: ${reference.path} is ${formatType(reference.type)} inside $(( … )), where the shell would evaluate its text; only integer and number values are accepted there`,
          );
          ok = false;
          return;
        }
        break;
      case 'comment':
        ctx.report(
          'EXPRESSION_IN_COMMENT',
          range,
          `in ${what}: ${reference.path} sits in a shell comment and has no effect`,
        );
        break;
    }
    if (afterDollar[index]) {
      ctx.report(
        'EXPRESSION_AFTER_DOLLAR',
        range,
        `in ${what}: ${reference.path} follows a "$", so the shell reads "$$" (its process id) and then the value; remove the "$"`,
      );
      ok = false;
      return;
    }
    const hazard = hazards[index];
    // Typed values are checked at the top of the script (type-guards.ts); strings cannot be.
    const checked =
      ['integer', 'number', 'boolean'].includes(reference.type.base) || reference.type.values !== undefined;
    if (hazard !== undefined && !checked) {
      ctx.report(
        'VALUE_IN_CODE_POSITION',
        range,
        `in ${what}: ${reference.path} is ${formatType(reference.type)} used in ${hazard}; a crafted value could run as code there (docs/runbooks.md, "Hostile values")`,
      );
    }
    expressions.push({
      start: span.start,
      end: span.end,
      reference,
      context: context as CommandExpression['context'],
      range,
    });
  });
  if (!ok) return undefined;
  return { script, expressions, range: node.range };
}
