import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface DurableWriteOptions {
  /** Mode of a new file (before the umask); the temp file has it from its first byte. */
  mode?: number;
}

/**
 * Writes a whole file so that a crash leaves either the old or the new
 * content, and the new content survives a power cut once this returns: a
 * fresh temp file beside it (O_EXCL, so a stale or planted one is never
 * reused), fsync, rename over the file, fsync of the directory (which makes
 * the rename itself durable).
 */
export function writeFileDurably(file: string, content: string | Uint8Array, opts: DurableWriteOptions = {}): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o666);
  try {
    writeAll(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  fsyncDirectory(path.dirname(file));
}

/** Appends to a file opened for appending and returns once the bytes are on disk. */
export function appendDurably(fd: number, content: string | Uint8Array): number {
  const n = writeAll(fd, content);
  fsyncSync(fd);
  return n;
}

/** Makes the creation, rename or removal of entries in `dir` durable. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** writeSync may write less than asked; loops until every byte is written. Returns the byte count. */
function writeAll(fd: number, content: string | Uint8Array): number {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
  return bytes.length;
}
