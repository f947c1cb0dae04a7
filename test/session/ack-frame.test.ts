import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acknowledgeFor, encode } from '../../lib/session/codec.ts';
import { encodeAcknowledge } from '../../lib/session/internal/ack-frame.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('encodeAcknowledge', () => {
  it('writes the same bytes as encode(acknowledgeFor(...)) for any id, sequence number and date', () => {
    fc.assert(
      fc.property(
        fc.uuid({ version: 4 }),
        fc.uuid(),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 2 ** 45 }),
        fc.constantFrom('output_stream_data', 'input_stream_data'),
        (ackedId, ackId, sequenceNumber, createdDate, messageType) => {
          const acked = { messageType, messageId: ackedId, sequenceNumber: BigInt(sequenceNumber) };
          expect(hex(encodeAcknowledge(acked, ackId, createdDate))).toBe(
            hex(encode(acknowledgeFor(acked, ackId, createdDate))),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writes protocol.md §12 TV1 byte-exact', () => {
    const frame = encodeAcknowledge(
      {
        messageType: 'output_stream_data',
        messageId: 'dd01e56b-ff48-483e-a508-b5f073f31b16',
        sequenceNumber: 0n,
      },
      '8e1c6d0a-4b7f-4a21-9c3d-5f6e7a8b9c0d',
      1503434274948,
    );
    expect(hex(frame)).toBe(
      '0000007461636b6e6f776c65646765202020202020202020202020202020202020202020000000010000015e0baa7884000000000000000000000000000000039c3d5f6e7a8b9c0d8e1c6d0a4b7f4a21713a0a17057de630213f7292907ce38462812ea213a29366f537f68c6ab60e8500000000000000b07b2241636b6e6f776c65646765644d65737361676554797065223a226f75747075745f73747265616d5f64617461222c2241636b6e6f776c65646765644d6573736167654964223a2264643031653536622d666634382d343833652d613530382d623566303733663331623136222c2241636b6e6f776c65646765644d65737361676553657175656e63654e756d626572223a302c22497353657175656e7469616c4d657373616765223a747275657d',
    );
  });

  it.each(['not-a-uuid', 'DD01E56B-FF48-483E-A508-B5F073F31B16', 'dd01e56b-ff48-483e-a508-b5f073f31b1g'])(
    'throws when the ack id is %s',
    (ackId) => {
      expect(() =>
        encodeAcknowledge(
          { messageType: 'output_stream_data', messageId: ackId, sequenceNumber: 0n },
          ackId,
          1,
        ),
      ).toThrow(/MessageId must be a lowercase hyphenated UUID/);
    },
  );
});
