import { describe, expect, it } from 'vitest';
import {
  INITIAL_RTO_MS,
  IncomingStream,
  MAX_RTO_MS,
  OutgoingStream,
  RtoEstimator,
} from '../../lib/session/stream.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const frame = (n: number) => new Uint8Array([n]);
const msg = (seq: number, tag = '') => ({ sequenceNumber: BigInt(seq), tag });

describe('RtoEstimator', () => {
  it('starts at RTT 100 ms, RTTVAR 0, RTO 200 ms', () => {
    const rto = new RtoEstimator();
    expect([rto.rttMs, rto.rttVarianceMs, rto.rtoMs]).toEqual([100, 0, 200]);
  });

  it.each([
    // sample, RTTVAR = 0.75·0 + 0.25·|100 − s|, RTT = 0.875·100 + 0.125·s, RTO = RTT + max(10, 4·RTTVAR)
    [100, 0, 100, 110],
    [300, 50, 125, 325],
    [20, 20, 90, 170],
    [0, 25, 87.5, 187.5],
    [4000, 975, 587.5, MAX_RTO_MS],
  ])('computes RTO from one sample of %d ms per protocol.md §5.4', (sample, rttvar, rtt, rto) => {
    const estimator = new RtoEstimator();
    estimator.sample(sample);
    expect(estimator.rttVarianceMs).toBeCloseTo(rttvar, 9);
    expect(estimator.rttMs).toBeCloseTo(rtt, 9);
    expect(estimator.rtoMs).toBeCloseTo(rto, 9);
  });

  it('uses the previous RTT for the variation when folding successive samples', () => {
    const estimator = new RtoEstimator();
    estimator.sample(300); // rttvar 50, rtt 125
    estimator.sample(125); // rttvar 0.75·50 + 0.25·0 = 37.5, rtt 125, rto 125 + 150
    expect(estimator.rttVarianceMs).toBeCloseTo(37.5, 9);
    expect(estimator.rttMs).toBeCloseTo(125, 9);
    expect(estimator.rtoMs).toBeCloseTo(275, 9);
  });

  it('keeps the 10 ms floor of the variance term when samples are steady', () => {
    const estimator = new RtoEstimator();
    for (let i = 0; i < 50; i++) estimator.sample(100);
    expect(estimator.rtoMs).toBeCloseTo(110, 9);
  });
});

describe('OutgoingStream', () => {
  it('numbers messages from 0 and keeps them until acknowledged', () => {
    const clock = new FakeClock({ start: 0 });
    const out = new OutgoingStream({ now: () => clock.now() });
    expect([out.allocate(), out.allocate(), out.allocate()]).toEqual([0, 1, 2]);
    out.track(0, frame(0));
    out.track(1, frame(1));
    out.track(2, frame(2));
    expect(out.unackedCount).toBe(3);
  });

  it('resends only the oldest unacked message once now − lastSent exceeds the RTO', () => {
    // Arrange
    const clock = new FakeClock({ start: 1000 });
    const out = new OutgoingStream({ now: () => clock.now() });
    for (const seq of [0, 1, 2]) out.track(out.allocate(), frame(seq));
    // Act + Assert
    expect(out.nextResendAt()).toBe(1000 + INITIAL_RTO_MS);
    clock.advanceTo(1200);
    expect(out.takeDueResend()).toBeUndefined();
    clock.advanceTo(1201);
    expect(out.takeDueResend()).toEqual(frame(0));
    // lastSent moved to 1201: neither it nor the younger ones are due right after.
    clock.advanceTo(1300);
    expect(out.takeDueResend()).toBeUndefined();
    expect(out.nextResendAt()).toBe(1201 + INITIAL_RTO_MS);
    clock.advanceTo(1402);
    expect(out.takeDueResend()).toEqual(frame(0));
    expect(out.resends).toBe(2);
  });

  it('matches acknowledgements by sequence number only and frees exactly one message', () => {
    const clock = new FakeClock({ start: 0 });
    const out = new OutgoingStream({ now: () => clock.now() });
    for (const seq of [0, 1, 2]) out.track(out.allocate(), frame(seq));
    clock.advanceTo(50);
    expect(out.acknowledge(1)).toBe(true);
    expect(out.acknowledge(1)).toBe(false);
    expect(out.acknowledge(7)).toBe(false);
    expect(out.unackedCount).toBe(2);
    clock.advanceTo(500);
    expect(out.takeDueResend()).toEqual(frame(0));
  });

  it('samples the RTT from the last send, so a resent message measures from its resend', () => {
    const clock = new FakeClock({ start: 0 });
    const out = new OutgoingStream({ now: () => clock.now() });
    out.track(out.allocate(), frame(0));
    clock.advanceTo(201);
    out.takeDueResend();
    clock.advanceTo(301); // 100 ms after the resend
    out.acknowledge(0);
    expect(out.rto.rtoMs).toBeCloseTo(110, 9);
    expect(out.nextResendAt()).toBeUndefined();
  });

  it('moves to the next oldest once the oldest is acknowledged', () => {
    const clock = new FakeClock({ start: 0 });
    const out = new OutgoingStream({ now: () => clock.now() });
    out.track(out.allocate(), frame(0));
    clock.advanceTo(10);
    out.track(out.allocate(), frame(1));
    clock.advanceTo(110);
    out.acknowledge(0); // sample 110: rttvar 2.5, rtt 101.25, rto 111.25
    expect(out.nextResendAt()).toBeCloseTo(10 + 111.25, 9);
    clock.advanceTo(122);
    expect(out.takeDueResend()).toEqual(frame(1));
  });
});

describe('IncomingStream', () => {
  it('hands out in-order messages at once', () => {
    const incoming = new IncomingStream<ReturnType<typeof msg>>();
    expect(incoming.receive(msg(0, 'a'))).toBe('accepted');
    expect(incoming.next()?.tag).toBe('a');
    expect(incoming.next()).toBeUndefined();
    expect(incoming.expectedSequenceNumber).toBe(1);
  });

  it('reports duplicates (to be re-acked) when a message arrives again', () => {
    const incoming = new IncomingStream<ReturnType<typeof msg>>();
    incoming.receive(msg(0));
    incoming.next();
    incoming.receive(msg(2));
    expect(incoming.receive(msg(0))).toBe('duplicate');
    expect(incoming.receive(msg(2))).toBe('duplicate');
    expect(incoming.counters.duplicates).toBe(2);
  });

  it('holds early messages (to be acked) and drains them in order when the gap fills', () => {
    // Arrange
    const incoming = new IncomingStream<ReturnType<typeof msg>>();
    // Act
    const verdicts = [3, 1, 2].map((seq) => incoming.receive(msg(seq, `m${seq}`)));
    const before = incoming.next();
    const filled = incoming.receive(msg(0, 'm0'));
    const drained: string[] = [];
    for (let m = incoming.next(); m !== undefined; m = incoming.next()) drained.push(m.tag);
    // Assert
    expect(verdicts).toEqual(['early', 'early', 'early']);
    expect(before).toBeUndefined();
    expect(filled).toBe('accepted');
    expect(drained).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(incoming.counters.reordered).toBe(3);
    expect(incoming.expectedSequenceNumber).toBe(4);
    expect(incoming.heldCount).toBe(0);
  });

  it('keeps accepted messages until pulled, so a paused consumer loses nothing', () => {
    const incoming = new IncomingStream<ReturnType<typeof msg>>();
    for (const seq of [0, 1, 2]) expect(incoming.receive(msg(seq))).toBe('accepted');
    expect(incoming.receive(msg(1))).toBe('duplicate');
    expect(incoming.heldCount).toBe(3);
    expect([incoming.next(), incoming.next(), incoming.next()].map((m) => Number(m?.sequenceNumber))).toEqual(
      [0, 1, 2],
    );
  });

  it('reports dropped (no ack) when the reorder buffer is full, and still accepts the gap filler', () => {
    // Arrange
    const incoming = new IncomingStream<ReturnType<typeof msg>>({ maxReorderFrames: 2 });
    incoming.receive(msg(1));
    incoming.receive(msg(2));
    // Act
    const overflow = incoming.receive(msg(3));
    const filler = incoming.receive(msg(0));
    const resent = incoming.receive(msg(3));
    // Assert
    expect(overflow).toBe('dropped');
    expect(filler).toBe('accepted');
    expect(resent).toBe('accepted');
    expect(incoming.counters.dropped).toBe(1);
    expect(incoming.expectedSequenceNumber).toBe(4);
  });

  it('throws when maxReorderFrames is not a positive integer', () => {
    expect(() => new IncomingStream({ maxReorderFrames: 0 })).toThrow(
      /maxReorderFrames must be an integer >= 1; received 0/,
    );
  });
});
