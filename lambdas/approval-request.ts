/**
 * The approval-request function: invoked by an approval state with its task token
 * (`lambda:invoke.waitForTaskToken`), it publishes the request to the approval topic
 * (lib/handlers/approval-request.ts). Its return value is ignored by Step Functions. On the
 * shared composition: the Logger with the Lambda context, errors mapped to the closed set.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import {
  type ApprovalRequestResult,
  parseApprovalEvent,
  readApprovalRequestSettings,
  requestApproval,
} from '../lib/handlers/index.ts';
import { withDefaults } from './shared/with-defaults.ts';

const settings = readApprovalRequestSettings(process.env);
const sns = new SNSClient({});

/** The function's handler. */
export const handler = withDefaults<ApprovalRequestResult>((event) =>
  requestApproval(parseApprovalEvent(event), { sns, ...settings }),
);
