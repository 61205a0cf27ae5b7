import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
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
  const tmp = tempPathOf(file);
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

/**
 * `writeFileDurably` off the event loop, for files of megabytes written while
 * the process serves (snapshots): the same steps, the content given in parts
 * so a caller can make it a slice at a time.
 */
export async function writeFileDurablyAsync(file: string, parts: readonly (string | Uint8Array)[], opts: DurableWriteOptions = {}): Promise<void> {
  const tmp = tempPathOf(file);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o666);
  try {
    for (const part of parts) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      for (let off = 0; off < bytes.length;) off += (await fh.write(bytes, off)).bytesWritten;
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp);
    throw err;
  }
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** A fresh temp name beside the file (pid and random: never one a crash left or someone planted). */
function tempPathOf(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
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
