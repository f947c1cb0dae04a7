/**
 * The exit-code marker's format, shared by the command builder and the output collector.
 *
 * After the user's script the command prints `<marker><status>\n`, with no newline before it:
 * `<marker>` is `__RB_<nonce>__:` with a fresh random nonce per run, so no output can spoof it by
 * accident, and the collector finds it anywhere in the stream, not only at a line start. The
 * output is then exactly the bytes the program wrote, and the collector never has to hold back a
 * newline as the possible start of the marker line, which would delay the last line before a
 * silence on the live stream.
 */

/** The fixed text before the nonce. */
export const MARKER_PREFIX = '__RB_';
/** The fixed text after the nonce, right before the status digits. */
export const MARKER_SUFFIX = '__:';
/** Random bytes in a nonce (128 bits), written as lowercase hex. */
export const NONCE_BYTES = 16;
/** A marker as `buildCommand` makes it. */
export const MARKER_FORMAT = /^__RB_[0-9a-f]{32}__:$/;

/** The marker for a nonce. */
export function markerFor(nonceHex: string): string {
  return `${MARKER_PREFIX}${nonceHex}${MARKER_SUFFIX}`;
}
