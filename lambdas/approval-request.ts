/**
 * The approval-request function: invoked by an approval state with its task token
 * (`lambda:invoke.waitForTaskToken`), it publishes the request to the approval topic
 * (lib/handlers/approval-request.ts). Its return value is ignored by Step Functions.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import {
  type ApprovalRequestResult,
  parseApprovalEvent,
  readApprovalRequestSettings,
  requestApproval,
} from '../lib/handlers/index.ts';

const settings = readApprovalRequestSettings(process.env);
const sns = new SNSClient({});

/** The function's handler. */
export const handler = middy<unknown, ApprovalRequestResult>().handler((event) =>
  requestApproval(parseApprovalEvent(event), { sns, ...settings }),
);
