/** Multipliers of the byte-size units; KB and KiB alike are 1,024 bytes, as Step Functions' "256 KiB". */
const UNIT_BYTES = { B: 1, KB: 1024, KiB: 1024, MB: 1024 * 1024, MiB: 1024 * 1024 } as const;

/** The schema's pattern of a byte size written as text. */
export const BYTE_SIZE_PATTERN = /^(\d+)(B|KB|KiB|MB|MiB)?$/;

/** `65536`, `64KB`, `64KiB`, `1MB` → bytes; undefined when not a byte size. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  const match = BYTE_SIZE_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, digits = '', unit = 'B'] = match;
  const bytes = Number(digits) * UNIT_BYTES[unit as keyof typeof UNIT_BYTES];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes → the shortest exact spec text (`65536` → `64KB`, `1000` → `1000B`). */
export function formatByteSize(bytes: number): string {
  if (bytes > 0 && bytes % UNIT_BYTES.MB === 0) return `${bytes / UNIT_BYTES.MB}MB`;
  if (bytes > 0 && bytes % UNIT_BYTES.KB === 0) return `${bytes / UNIT_BYTES.KB}KB`;
  return `${bytes}B`;
}
