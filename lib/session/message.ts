/**
 * The data-channel message: layout table, message and payload types, flags.
 *
 * One layout table (field lengths in wire order) is the single source of the offsets; the codec
 * derives them. All integers are big-endian.
 *
 * @see docs/protocol.md §3, §4
 */

/** Field lengths in wire order; offsets are derived, never written by hand. */
export const FIELD_LENGTHS = [
  ['headerLength', 4],
  ['messageType', 32],
  ['schemaVersion', 4],
  ['createdDate', 8],
  ['sequenceNumber', 8],
  ['flags', 8],
  ['messageId', 16],
  ['payloadDigest', 32],
  ['payloadType', 4],
  ['payloadLength', 4],
] as const;

export type FieldName = (typeof FIELD_LENGTHS)[number][0];

function deriveOffsets(): Readonly<Record<FieldName, number>> {
  const offsets = {} as Record<FieldName, number>;
  let at = 0;
  for (const [name, length] of FIELD_LENGTHS) {
    offsets[name] = at;
    at += length;
  }
  return offsets;
}

/** Byte offset of each header field. */
export const OFFSETS = deriveOffsets();

/** The HeaderLength value every sender writes: the offset of PayloadLength (116). */
export const HEADER_LENGTH = OFFSETS.payloadLength;

/** Where the payload starts (120). */
export const PAYLOAD_OFFSET = OFFSETS.payloadLength + 4;

export const MESSAGE_TYPE_LENGTH = 32;

/** MessageType strings of the data channel. */
export const MessageType = {
  InputStreamData: 'input_stream_data',
  OutputStreamData: 'output_stream_data',
  Acknowledge: 'acknowledge',
  ChannelClosed: 'channel_closed',
  StartPublication: 'start_publication',
  PausePublication: 'pause_publication',
  AgentSessionState: 'agent_session_state',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** PayloadType numbers (identical in the plugin and the agent). */
export const PayloadType = {
  None: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

/** Flags bit set: bit 0 SYN, bit 1 FIN. */
export const Flags = { None: 0n, Syn: 1n, Fin: 2n, SynFin: 3n } as const;

/** A decoded (or to-be-encoded) data-channel message. */
export interface ClientMessage {
  /** Trimmed MessageType string; unknown types are kept as read. */
  readonly messageType: string;
  /** @default 1 */
  readonly schemaVersion: number;
  /** Unix epoch milliseconds; receivers reject 0. */
  readonly createdDate: number;
  readonly sequenceNumber: bigint;
  readonly flags: bigint;
  /** Canonical lowercase hyphenated UUID (un-swapped). */
  readonly messageId: string;
  readonly payloadType: number;
  readonly payload: Uint8Array;
}

/** JSON payload of an `acknowledge` message, keys in the order the Go structs marshal them. */
export interface AcknowledgeContent {
  readonly AcknowledgedMessageType: string;
  readonly AcknowledgedMessageId: string;
  readonly AcknowledgedMessageSequenceNumber: number;
  readonly IsSequentialMessage: boolean;
}

/** JSON payload of `channel_closed`. */
export interface ChannelClosedContent {
  readonly MessageId: string;
  /** Epoch milliseconds as a string. */
  readonly CreatedDate: string;
  readonly DestinationId: string;
  readonly SessionId: string;
  readonly MessageType: 'channel_closed';
  readonly SchemaVersion: number;
  readonly Output: string;
}

/** The OpenDataChannel text frame sent first on a new socket. */
export interface OpenDataChannelInput {
  readonly MessageSchemaVersion: '1.0';
  readonly RequestId: string;
  readonly TokenValue: string;
  readonly ClientId: string;
  readonly ClientVersion?: string;
}
