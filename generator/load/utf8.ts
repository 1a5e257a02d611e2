import { isUtf8 } from 'node:buffer';

/** Where a file stops being UTF-8: 1-based line and column (in characters), and the offending byte. */
export type Utf8Problem = { readonly line: number; readonly column: number; readonly byte: number };

/** Length of the UTF-8 sequence that starts at `index`, or 0 when the bytes there are not one. */
function sequenceLength(bytes: Uint8Array, index: number): number {
  const first = bytes[index] as number;
  if (first < 0x80) return 1;
  const [length, min, max] =
    first >= 0xc2 && first <= 0xdf
      ? [2, 0x80, 0xbf]
      : first === 0xe0
        ? [3, 0xa0, 0xbf]
        : first === 0xed
          ? [3, 0x80, 0x9f] // no UTF-16 surrogates
          : first >= 0xe1 && first <= 0xef
            ? [3, 0x80, 0xbf]
            : first === 0xf0
              ? [4, 0x90, 0xbf]
              : first >= 0xf1 && first <= 0xf3
                ? [4, 0x80, 0xbf]
                : first === 0xf4
                  ? [4, 0x80, 0x8f]
                  : [0, 0, 0];
  if (length === 0 || index + length > bytes.length) return 0;
  const second = bytes[index + 1] as number;
  if (second < min || second > max) return 0;
  for (let next = index + 2; next < index + length; next += 1) if (((bytes[next] as number) & 0xc0) !== 0x80) return 0;
  return length;
}

/** The first place `bytes` is not valid UTF-8, or undefined when it all is. */
export function firstUtf8Problem(bytes: Uint8Array): Utf8Problem | undefined {
  if (isUtf8(bytes)) return undefined;
  let line = 1;
  let column = 1;
  for (let index = 0; index < bytes.length; ) {
    const length = sequenceLength(bytes, index);
    if (length === 0) return { line, column, byte: bytes[index] as number };
    if (bytes[index] === 0x0a) {
      line += 1;
      column = 1;
    } else column += length === 4 ? 2 : 1;
    index += length;
  }
  return undefined;
}

export function describeUtf8Problem(problem: Utf8Problem): string {
  return `byte 0x${problem.byte.toString(16).padStart(2, '0')} is not UTF-8 (Latin-1 or Windows-1252 text?); save the file as UTF-8`;
}
