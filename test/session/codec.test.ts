import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acknowledgeFor, decode, encode, uuidFromWire, uuidToWire } from '../../lib/session/codec.ts';
import { type ClientMessage, PayloadType } from '../../lib/session/message.ts';

// protocol.md §12 test vectors, byte-exact.
const TV1 =
  '0000007461636b6e6f776c65646765202020202020202020202020202020202020202020000000010000015e0baa7884000000000000000000000000000000039c3d5f6e7a8b9c0d8e1c6d0a4b7f4a21713a0a17057de630213f7292907ce38462812ea213a29366f537f68c6ab60e8500000000000000b07b2241636b6e6f776c65646765644d65737361676554797065223a226f75747075745f73747265616d5f64617461222c2241636b6e6f776c65646765644d6573736167654964223a2264643031653536622d666634382d343833652d613530382d623566303733663331623136222c2241636b6e6f776c65646765644d65737361676553657175656e63654e756d626572223a302c22497353657175656e7469616c4d657373616765223a747275657d';
const TV2 =
  '000000746f75747075745f73747265616d5f646174612020202020202020202020202020000000010000015e0baa788400000000000000000000000000000001a508b5f073f31b16dd01e56bff48483e2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824000000010000000568656c6c6f';
const TV3 =
  '00000074696e7075745f73747265616d5f64617461202020202020202020202020202020000000010000015e0baa7884000000000000000000000000000000009a0c0305e82c33013f2504e04f8941d3035056b24ece59f84a6ba856caba412de915a64e738063c9d37bc4a755e5599700000006000000937b22436c69656e7456657273696f6e223a22312e322e3637372e30222c2250726f636573736564436c69656e74416374696f6e73223a5b7b22416374696f6e54797065223a2253657373696f6e54797065222c22416374696f6e537461747573223a312c22416374696f6e526573756c74223a6e756c6c2c224572726f72223a22227d5d2c224572726f7273223a6e756c6c7d';
const TV4 =
  '00000074696e7075745f73747265616d5f64617461202020202020202020202020202020000000010000015e0baa788400000000000000010000000000000000894edb77e160355e6fa459eaee8a4ca4e1537ad4749d88db6f6d97ed16e443dee6ba30c43afa2c4875bb1432f07d8b3a00000003000000177b22636f6c73223a3330302c22726f7773223a3130307d';
const TV5 =
  '00000074696e7075745f73747265616d5f64617461202020202020202020202020202020000000010000015e0baa78840000000000000002000000000000000082eb8c7fada847da16fd27068baf433b433ebf5bc03dffa38536673207a21281612cef5faa9bc7a4d5b9be2fdb12cf1a0000000a0000000400000002';
const TV6 =
  '000000746368616e6e656c5f636c6f736564202020202020202020202020202020202020000000010000015e0baa7884000000000000000000000000000000008d2a1b2c3d4e5f60c9a7f7a20c1e4f3b6035ca3ec2823e3467e7cf749112ec9023449eede3538eaac8e95a09b897c34d00000000000001307b224d6573736167654964223a2263396137663761322d306331652d346633622d386432612d316232633364346535663630222c224372656174656444617465223a2231353033343334323734393438222c2244657374696e6174696f6e4964223a226563733a6d79636c75737465725f30313233343536373839616263646566303132333435363738396162636465665f30313233343536373839616263646566303132333435363738396162636465662d31323334353637383930222c2253657373696f6e4964223a226563732d657865637574652d636f6d6d616e642d3031323334353637383961626364656630222c224d65737361676554797065223a226368616e6e656c5f636c6f736564222c22536368656d6156657273696f6e223a312c224f7574707574223a22227d';

const CREATED = 1503434274948;
const text = (s: string) => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

function msg(
  fields: Partial<ClientMessage> & Pick<ClientMessage, 'messageType' | 'messageId'>,
): ClientMessage {
  return {
    schemaVersion: 1,
    createdDate: CREATED,
    sequenceNumber: 0n,
    flags: 0n,
    payloadType: 0,
    payload: new Uint8Array(),
    ...fields,
  };
}

const VECTORS: Array<[string, string, ClientMessage]> = [
  [
    'TV1 acknowledge',
    TV1,
    acknowledgeFor(
      {
        messageType: 'output_stream_data',
        messageId: 'dd01e56b-ff48-483e-a508-b5f073f31b16',
        sequenceNumber: 0n,
      },
      '8e1c6d0a-4b7f-4a21-9c3d-5f6e7a8b9c0d',
      CREATED,
    ),
  ],
  [
    'TV2 output_stream_data',
    TV2,
    msg({
      messageType: 'output_stream_data',
      messageId: 'dd01e56b-ff48-483e-a508-b5f073f31b16',
      flags: 1n,
      payloadType: PayloadType.Output,
      payload: text('hello'),
    }),
  ],
  [
    'TV3 HandshakeResponse',
    TV3,
    msg({
      messageType: 'input_stream_data',
      messageId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      payloadType: PayloadType.HandshakeResponse,
      payload: text(
        '{"ClientVersion":"1.2.677.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}',
      ),
    }),
  ],
  [
    'TV4 Size',
    TV4,
    msg({
      messageType: 'input_stream_data',
      messageId: '6fa459ea-ee8a-4ca4-894e-db77e160355e',
      sequenceNumber: 1n,
      payloadType: PayloadType.Size,
      payload: text('{"cols":300,"rows":100}'),
    }),
  ],
  [
    'TV5 Flag',
    TV5,
    msg({
      messageType: 'input_stream_data',
      messageId: '16fd2706-8baf-433b-82eb-8c7fada847da',
      sequenceNumber: 2n,
      payloadType: PayloadType.Flag,
      payload: bytes('00000002'),
    }),
  ],
  [
    'TV6 channel_closed',
    TV6,
    msg({
      messageType: 'channel_closed',
      messageId: 'c9a7f7a2-0c1e-4f3b-8d2a-1b2c3d4e5f60',
      payload: text(
        '{"MessageId":"c9a7f7a2-0c1e-4f3b-8d2a-1b2c3d4e5f60","CreatedDate":"1503434274948","DestinationId":"ecs:mycluster_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-1234567890","SessionId":"ecs-execute-command-0123456789abcdef0","MessageType":"channel_closed","SchemaVersion":1,"Output":""}',
      ),
    }),
  ],
];

describe('codec', () => {
  it.each(VECTORS)('encodes %s byte-exact', (_name, frameHex, message) => {
    expect(hex(encode(message))).toBe(frameHex);
  });

  it.each(VECTORS)('decodes %s to its fields', (_name, frameHex, message) => {
    const result = decode(bytes(frameHex));
    expect(result).toEqual({ ok: true, message: { ...message, payload: new Uint8Array(message.payload) } });
  });

  it('writes MessageId halves swapped', () => {
    expect(hex(uuidToWire('dd01e56b-ff48-483e-a508-b5f073f31b16'))).toBe('a508b5f073f31b16dd01e56bff48483e');
    expect(uuidFromWire(bytes('a508b5f073f31b16dd01e56bff48483e'))).toBe(
      'dd01e56b-ff48-483e-a508-b5f073f31b16',
    );
  });

  it('accepts NUL-padded message types as the official receivers do', () => {
    const frame = bytes(TV2);
    frame.fill(0, 4 + 'output_stream_data'.length, 36);
    const result = decode(frame);
    expect(result.ok && result.message.messageType).toBe('output_stream_data');
  });

  it('accepts a 120-byte frame with an empty payload', () => {
    const frame = encode(
      msg({ messageType: 'acknowledge', messageId: '8e1c6d0a-4b7f-4a21-9c3d-5f6e7a8b9c0d' }),
    );
    expect(frame.length).toBe(120);
    expect(decode(frame).ok).toBe(true);
  });

  const patch = (at: number, values: number[]) => (f: Uint8Array) => {
    f.set(values, at);
    return f;
  };
  it.each([
    ['too_short', (f: Uint8Array) => f.slice(0, 119)],
    ['bad_header_length', patch(0, [0, 0, 0, 0x75])],
    ['bad_payload_length', (f: Uint8Array) => f.slice(0, f.length - 1)],
    ['bad_digest', patch(124, [0x21])],
    ['zero_created_date', patch(40, [0, 0, 0, 0, 0, 0, 0, 0])],
    ['empty_message_type', patch(4, new Array(32).fill(0x20))],
  ])('reports %s without throwing', (reason, corrupt) => {
    const result = decode(corrupt(bytes(TV2)));
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('skips validation of pause_publication as the plugin does', () => {
    const frame = encode(
      msg({
        messageType: 'pause_publication',
        messageId: '8e1c6d0a-4b7f-4a21-9c3d-5f6e7a8b9c0d',
        createdDate: 1,
      }),
    );
    frame.fill(0, 40, 48);
    expect(decode(frame).ok).toBe(true);
  });

  it('rejects payloads above maxPayloadBytes', () => {
    expect(decode(bytes(TV2), { maxPayloadBytes: 4 })).toMatchObject({
      ok: false,
      reason: 'payload_too_large',
    });
  });

  it('round-trips random messages', () => {
    const arbMessage = fc.record({
      messageType: fc.stringMatching(/^[a-z_]{1,32}$/),
      schemaVersion: fc.integer({ min: 0, max: 0xffffffff }),
      createdDate: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      sequenceNumber: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      flags: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      messageId: fc.uuid().map((u) => u.toLowerCase()),
      payloadType: fc.integer({ min: 0, max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 2048 }),
    });
    fc.assert(
      fc.property(arbMessage, (message) => {
        const result = decode(encode(message));
        expect(result).toEqual({ ok: true, message });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random or truncated bytes', () => {
    const valid = [TV1, TV2, TV3, TV4, TV5, TV6].map(bytes);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([f, n]) => f.slice(0, n % (f.length + 1))),
          fc
            .tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }))
            .map(([f, at, b]) => {
              const copy = f.slice();
              copy[at % copy.length] = b;
              return copy;
            }),
        ),
        (frame) => {
          const result = decode(frame);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
