/**
 * The notify step kind: SNS topic, message and subject.
 */
import type { NotifyStep, Retry, StepCommon, TemplateText } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { truncate } from '../describe.ts';
import { readTemplate } from '../references.ts';
import type { Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

function readNotify(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
  retry: Retry | undefined,
): Omit<NotifyStep, keyof StepCommon> | undefined {
  const what = `${where}: notify`;
  const map = ctx.expectMap(node, what, ' with topic and message');
  if (!map) return undefined;
  ctx.checkKeys(map, 'notify', what);
  const topicNode = ctx.entry(map, 'topic');
  let topic = topicNode
    ? readTemplate(ctx, topicNode, `${what}.topic`, scope, { nonEmpty: true })
    : undefined;
  if (topic && topicNode && topic.parts.every((p) => p.kind === 'text')) {
    const text = topic.parts.map((p) => (p as TemplateText).text).join('');
    if (!SNS_TOPIC_ARN.test(text)) {
      ctx.report(
        'INVALID_ARN',
        topicNode.range,
        `${what}.topic is ${JSON.stringify(truncate(text))}; accepted: an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ops`,
      );
      topic = undefined;
    }
  }
  const messageNode = ctx.entry(map, 'message');
  const message = messageNode
    ? readTemplate(ctx, messageNode, `${what}.message`, scope, { nonEmpty: true })
    : undefined;
  const subjectNode = ctx.entry(map, 'subject');
  let subject = subjectNode
    ? readTemplate(ctx, subjectNode, `${what}.subject`, scope, { nonEmpty: true })
    : undefined;
  if (subject && subjectNode && subjectNode.kind === 'scalar' && typeof subjectNode.value === 'string') {
    if (subjectNode.value.length > 100 || /[\n\r]/.test(subjectNode.value)) {
      ctx.report(
        'VALUE_OUT_OF_RANGE',
        subjectNode.range,
        `${what}.subject has ${subjectNode.value.length} characters or a line break; SNS accepts one line of at most 100`,
      );
      subject = undefined;
    }
  }
  if (!topic || !message || (subjectNode && !subject)) return undefined;
  return { kind: 'notify', topic, message, ...(subject ? { subject } : {}), ...(retry ? { retry } : {}) };
}

/** A notify step: a message to an SNS topic. */
export const validateNotify: StepKindValidator = {
  keys: ['retry', 'onFailure'],
  validate: (input: StepKindInput): StepKindResult => ({
    body: readNotify(input.ctx, input.node, input.scope, input.where, input.retry),
  }),
};
