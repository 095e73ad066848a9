// Reads the regular files of a gzip-compressed tar archive in memory: enough for Tailscale's release
// tarballs (ustar, as Go's archive/tar writes them, with PAX or GNU long names when a name needs them).
import * as zlib from 'zlib';

/** A regular file found in a tar archive. */
export interface TarFile {
  readonly path: string;
  readonly mode: number;
  readonly data: Buffer;
}

/** The largest uncompressed archive read; Tailscale's are about 60 MB. */
export const MAX_TAR_BYTES = 512 * 1024 * 1024;

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8');
}

function octal(header: Buffer, start: number, length: number, what: string): number {
  const raw = header.subarray(start, start + length);
  if (raw[0] & 0x80) {
    // GNU base-256: big-endian binary number after the marker bit.
    let value = raw[0] & 0x7f;
    for (let i = 1; i < raw.length; i++) value = value * 256 + raw[i];
    return value;
  }
  const text = field(header, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: invalid ${what} field '${text}'`);
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = octal(header, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === stored;
}

// PAX extended header records: "<length> <key>=<value>\n".
function paxPath(data: Buffer): string | undefined {
  let offset = 0;
  let path: string | undefined;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.subarray(offset, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0 || offset + length > data.length) {
      throw new Error('tar: invalid PAX header');
    }
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq !== -1 && record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    offset += length;
  }
  return path;
}

/** Every regular file of a .tar.gz archive, in archive order. Throws on a damaged archive. */
export function readTarGz(archive: Buffer): TarFile[] {
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(archive, { maxOutputLength: MAX_TAR_BYTES });
  } catch (e) {
    throw new Error(`tar: not a readable gzip archive (${(e as Error).message})`);
  }
  const files: TarFile[] = [];
  let offset = 0;
  let longName: string | undefined;
  for (;;) {
    if (offset + BLOCK > tar.length) throw new Error('tar: archive ends without its end-of-archive marker');
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumOk(header)) throw new Error(`tar: bad header checksum at offset ${offset}`);
    const size = octal(header, 124, 12, 'size');
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw new Error('tar: archive ends inside an entry');
    const data = tar.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'g') continue; // global PAX header: nothing tsproxy needs
    // POSIX ustar ("ustar\0") keeps long paths' leading part in a prefix field; GNU's "ustar  " uses
    // that area for other things.
    const posix = header.subarray(257, 263).equals(Buffer.from('ustar\0', 'binary'));
    const prefix = posix ? field(header, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type !== '0' && type !== '7') continue; // directories, links and devices are not copied
    files.push({ path: name.replace(/^\.\//, ''), mode: octal(header, 100, 8, 'mode'), data: Buffer.from(data) });
  }
  return files;
}
