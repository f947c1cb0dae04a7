import { describe, expect, it } from 'vitest';
import { readApiSettings, readApprovalRequestSettings } from '../../lib/handlers/function-settings.ts';

const CATALOG = '{"runbooks":[]}';

describe('readApprovalRequestSettings', () => {
  it('reads the catalog, the API URL and the topic', () => {
    const settings = readApprovalRequestSettings({
      RUNBOOK_CATALOG: CATALOG,
      API_URL: 'https://x.example.com/prod',
      APPROVAL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:approvals',
    });
    expect(settings).toEqual({
      catalog: { runbooks: [] },
      apiUrl: 'https://x.example.com/prod',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals',
    });
  });

  it('throws naming each missing or bad variable', () => {
    expect(() => readApprovalRequestSettings({ RUNBOOK_CATALOG: CATALOG, API_URL: 'http://plain' })).toThrow(
      /API_URL: received "http:\/\/plain"; accepted: a string matching .*; APPROVAL_TOPIC_ARN: received nothing/,
    );
  });
});

describe('readApiSettings', () => {
  it('takes the API URL as optional and the catalog as required', () => {
    expect(readApiSettings({ RUNBOOK_CATALOG: CATALOG })).toEqual({ catalog: { runbooks: [] } });
    expect(() => readApiSettings({})).toThrow(/^invalid RUNBOOK_CATALOG/);
  });
});
