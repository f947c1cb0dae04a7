/**
 * cdk-nag acknowledgements, one finding at a time: `AwsSolutions-IAM5` is granular (one finding
 * per wildcard resource), so each wildcard is acknowledged by its exact finding id, never with
 * a blanket rule id that would also hide a wildcard added later.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A resource string as cdk-nag prints it in a finding id: `Ref`s as `<Name>`, `Fn::GetAtt`s as
 * `<Logical.Attribute>`, `Fn::Join`s concatenated.
 */
export function nagResourceText(scope: IConstruct, resource: string): string {
  if (!Token.isUnresolved(resource)) return resource;
  return render(Stack.of(scope).resolve(resource));
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = o['Fn::Join'];
    if (Array.isArray(join)) {
      const [sep, parts] = join as [string, unknown[]];
      return parts.map(render).join(sep);
    }
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges `AwsSolutions-IAM5` for each wildcard among `resources` on `scope` (a role or
 * its policy), with one reason.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const seen = new Set<string>();
  for (const resource of resources) {
    const text = nagResourceText(scope, resource);
    if (!text.includes('*') || seen.has(text)) continue;
    seen.add(text);
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${text}]`, reason });
  }
}
