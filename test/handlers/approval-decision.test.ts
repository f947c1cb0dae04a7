import { describe, expect, it } from 'vitest';
import { mayDecide, principalMatches } from '../../lib/handlers/approval-decision.ts';

describe('principalMatches', () => {
  it.each([
    ['arn:aws:iam::123456789012:user/ops/bob', 'arn:aws:iam::123456789012:user/ops/bob', true],
    [
      'arn:aws:iam::123456789012:role/ops-lead',
      'arn:aws:sts::123456789012:assumed-role/ops-lead/alice',
      true,
    ],
    [
      'arn:aws:iam::123456789012:role/team/ops-lead',
      'arn:aws:sts::123456789012:assumed-role/ops-lead/alice',
      true,
    ],
    [
      'arn:aws:sts::123456789012:assumed-role/ops-lead/alice',
      'arn:aws:sts::123456789012:assumed-role/ops-lead/alice',
      true,
    ],
    [
      'arn:aws:sts::123456789012:assumed-role/ops-lead/alice',
      'arn:aws:sts::123456789012:assumed-role/ops-lead/bob',
      false,
    ],
    [
      'arn:aws:iam::123456789012:role/ops-lead',
      'arn:aws:sts::210987654321:assumed-role/ops-lead/alice',
      false,
    ],
    [
      'arn:aws:iam::123456789012:role/ops-lead',
      'arn:aws:sts::123456789012:assumed-role/ops-lead-2/alice',
      false,
    ],
    [
      'arn:aws:iam::123456789012:role/ops-lead',
      'arn:aws-cn:sts::123456789012:assumed-role/ops-lead/alice',
      false,
    ],
    ['arn:aws:iam::123456789012:user/bob', 'arn:aws:iam::123456789012:user/ops/bob', false],
    ['arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:user/bob', false],
  ])('matches approver %s and caller %s: %s', (approver, caller, expected) => {
    expect(principalMatches(approver, caller)).toBe(expected);
  });
});

describe('mayDecide', () => {
  it('lets anyone decide when the step names no approvers', () => {
    expect(mayDecide([], 'arn:aws:iam::123456789012:user/anyone')).toBe(true);
  });

  it('lets a caller decide who matches any one approver', () => {
    const approvers = ['arn:aws:iam::123456789012:role/a', 'arn:aws:iam::123456789012:role/b'];
    expect(mayDecide(approvers, 'arn:aws:sts::123456789012:assumed-role/b/s')).toBe(true);
    expect(mayDecide(approvers, 'arn:aws:sts::123456789012:assumed-role/c/s')).toBe(false);
  });
});
