import { describe, expect, it } from 'vitest';
import { aesGcmOpen, aesGcmSeal, SessionCipher } from '../../lib/session/crypto.ts';

// protocol.md §12 TV7: P = 00 01 … 3f; agent key P[0:32], client key P[32:64].
const P = Uint8Array.from({ length: 64 }, (_, i) => i);
const AGENT_HELLO = '000102030405060708090a0b2f67ba77aa2797ff353b8a046d28236dcd9d057bbb';
const CLIENT_LS = '0c0d0e0f10111213141516178e4943a61fb75dddc7cd9dd41ce870ef311ee5';
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);

describe('aesGcmSeal', () => {
  it('produces TV7 byte-exact for both directions', () => {
    expect(hex(aesGcmSeal(P.subarray(0, 32), bytes('000102030405060708090a0b'), text('hello')))).toBe(
      AGENT_HELLO,
    );
    expect(hex(aesGcmSeal(P.subarray(32, 64), bytes('0c0d0e0f1011121314151617'), text('ls\r')))).toBe(
      CLIENT_LS,
    );
  });

  it('throws when the nonce is not 12 bytes', () => {
    expect(() => aesGcmSeal(P.subarray(0, 32), new Uint8Array(8), text('x'))).toThrow(
      /nonce must be 12 bytes; received 8/,
    );
  });
});

describe('aesGcmOpen', () => {
  it('decrypts TV7', () => {
    expect(Buffer.from(aesGcmOpen(P.subarray(32, 64), bytes(CLIENT_LS))).toString()).toBe('ls\r');
  });

  it('throws when the tag does not authenticate', () => {
    const tampered = bytes(AGENT_HELLO);
    tampered[14] = (tampered[14] ?? 0) ^ 1;
    expect(() => aesGcmOpen(P.subarray(0, 32), tampered)).toThrow();
  });

  it('throws when the payload is shorter than nonce and tag', () => {
    expect(() => aesGcmOpen(P.subarray(0, 32), new Uint8Array(27))).toThrow(/at least 28 bytes; received 27/);
  });
});

describe('SessionCipher', () => {
  it('decrypts with the first half of the data key (TV7 agent → client)', () => {
    expect(Buffer.from(new SessionCipher(P).decrypt(bytes(AGENT_HELLO))).toString()).toBe('hello');
  });

  it('encrypts with the second half under the injected nonce (TV7 client → agent)', () => {
    const cipher = new SessionCipher(P, { randomBytes: () => bytes('0c0d0e0f1011121314151617') });
    expect(hex(cipher.encrypt(text('ls\r')))).toBe(CLIENT_LS);
  });

  it('uses a fresh nonce per message by default', () => {
    const cipher = new SessionCipher(P);
    expect(hex(cipher.encrypt(text('a')).subarray(0, 12))).not.toBe(
      hex(cipher.encrypt(text('a')).subarray(0, 12)),
    );
  });

  it('throws when the data key is not 64 bytes', () => {
    expect(() => new SessionCipher(new Uint8Array(32))).toThrow(/data key must be 64 bytes; received 32/);
  });
});
