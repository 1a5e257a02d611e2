// A zip archive of a few files, deterministic to the byte (fixed 1980-01-01 timestamps, fixed
// attributes, entries in the given order), as Lambda's deployment packages take it.
import { deflateRawSync } from 'node:zlib';

export type ZipEntry = { readonly name: string; readonly content: Buffer };

const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS date of 1980-01-01 (day 1, month 1, year 0), the earliest a zip can say; time 00:00. */
const DOS_DATE = (1 << 5) | 1;
/** Made by Unix (3), zip format 2.0; regular file, mode 0644. */
const MADE_BY = (3 << 8) | 20;
const UNIX_FILE_0644 = (0o100644 << 16) >>> 0;

function header(signature: number, fields: readonly [number, 2 | 4][]): Buffer {
  const buffer = Buffer.alloc(4 + fields.reduce((sum, [, size]) => sum + size, 0));
  buffer.writeUInt32LE(signature, 0);
  let offset = 4;
  for (const [value, size] of fields) {
    if (size === 2) buffer.writeUInt16LE(value, offset);
    else buffer.writeUInt32LE(value, offset);
    offset += size;
  }
  return buffer;
}

/** The archive of `entries` (deflated, UTF-8 names). */
export function zipArchive(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = deflateRawSync(entry.content, { level: 9 });
    const crc = crc32(entry.content);
    const common: [number, 2 | 4][] = [
      [20, 2],
      [0x0800, 2],
      [8, 2],
      [0, 2],
      [DOS_DATE, 2],
      [crc, 4],
      [data.length, 4],
      [entry.content.length, 4],
      [name.length, 2],
    ];
    const local = Buffer.concat([header(0x04034b50, [...common, [0, 2]]), name, data]);
    centrals.push(
      Buffer.concat([
        header(0x02014b50, [[MADE_BY, 2], ...common, [0, 2], [0, 2], [0, 2], [0, 2], [UNIX_FILE_0644, 4], [offset, 4]]),
        name,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = header(0x06054b50, [
    [0, 2],
    [0, 2],
    [entries.length, 2],
    [entries.length, 2],
    [central.length, 4],
    [offset, 4],
    [0, 2],
  ]);
  return Buffer.concat([...locals, central, end]);
}
