// A zip writer whose bytes depend only on the entries' names, contents and executable bits, like
// toolchain/deterministic-zip: a layer asset must be byte-stable across synths, since CDK names the asset
// after the hash of the file and a new hash means a new layer version on every deploy.
import * as zlib from 'zlib';

/** One file of a zip archive. */
export interface ZipEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  readonly name: string;
  readonly data: Buffer;
  /** Stored as mode 0755 when true and 0644 when false: Lambda unpacks layers with these modes. */
  readonly executable: boolean;
}

// 1980-01-01 00:00, the earliest a zip timestamp can hold (MS-DOS date: day 1, month 1, year 0).
const DOS_TIME = 0;
const DOS_DATE = (1 << 5) | 1;
const VERSION_DEFLATE = 20;
const MADE_BY_UNIX = 3 << 8;
const METHOD_DEFLATE = 8;
const FLAG_UTF8 = 0x800;
// A classic (non-Zip64) archive: sizes, offsets and counts must fit these fields.
const MAX_32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as zip stores it. */
export function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function checkName(name: string): void {
  if (name === '' || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`deterministic zip: invalid entry name '${name}'`);
  }
}

/**
 * The archive's bytes: entries sorted by name (byte order), each deflated at level 9 with the fixed
 * timestamp, Unix mode 0755 or 0644, no extra fields and no comment.
 */
export function deterministicZip(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  if (sorted.length > MAX_ENTRIES) throw new Error('deterministic zip: too many entries');
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  let previous: string | undefined;
  for (const entry of sorted) {
    checkName(entry.name);
    if (entry.name === previous) throw new Error(`deterministic zip: duplicate entry '${entry.name}'`);
    previous = entry.name;
    const name = Buffer.from(entry.name, 'utf8');
    const flags = /^[\x20-\x7e]*$/.test(entry.name) ? 0 : FLAG_UTF8;
    const compressed = zlib.deflateRawSync(entry.data, { level: 9 });
    if (entry.data.length > MAX_32 || compressed.length > MAX_32) {
      throw new Error(`deterministic zip: '${entry.name}' is too large for a classic zip`);
    }
    const crc = crc32(entry.data);
    const mode = entry.executable ? 0o755 : 0o644;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_DEFLATE, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(METHOD_DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX | VERSION_DEFLATE, 4);
    central.writeUInt16LE(VERSION_DEFLATE, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(METHOD_DEFLATE, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra field length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38); // regular file + mode, Unix style
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + compressed.length;
    if (offset > MAX_32) throw new Error('deterministic zip: archive too large for a classic zip');
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, ...centrals, end]);
}
