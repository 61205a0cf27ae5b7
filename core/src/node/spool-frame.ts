import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * The on-disk form of a spool segment: an 8-byte magic, then records, each
 *
 *   u32 LE payload length | u32 LE CRC32 of the next 8 + length bytes | f64 LE append time (ms) | payload (UTF-8)
 *
 * A record is whole once its last byte is written; a process killed mid-write
 * leaves a short or CRC-failing tail, which the reader finds and reports.
 */
export const SEGMENT_MAGIC = Buffer.from('LLSPOOL1', 'latin1');
export const FRAME_HEADER_BYTES = 16;
/** Larger than any message the platform takes (MQTT and HTTP bodies are far smaller): a longer length is corruption. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Scratch for a frame's time, whose CRC the payload's continues. */
const AT = Buffer.allocUnsafe(8);

/** The worst case of a record's frame: UTF-8 takes at most 3 bytes per UTF-16 unit (room without measuring first). */
export function maxFrameBytes(payload: string): number {
  return FRAME_HEADER_BYTES + payload.length * 3;
}

/**
 * Writes the frame of one record into `buf` at `offset`, which must have
 * `maxFrameBytes(payload)` bytes of room, and returns its length.
 */
export function encodeFrameInto(payload: string, at: number, buf: Buffer, offset: number): number {
  if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`spool record of ${payload.length} characters exceeds ${MAX_RECORD_BYTES} bytes`);
  const len = buf.write(payload, offset + FRAME_HEADER_BYTES, 'utf8');
  if (len > MAX_RECORD_BYTES) throw new RangeError(`spool record of ${len} bytes exceeds ${MAX_RECORD_BYTES}`);
  buf.writeUInt32LE(len, offset);
  buf.writeDoubleLE(at, offset + 8);
  // The CRC of the time's 8 bytes, continued over the payload's UTF-8 (what crc32 makes of a string): no view made per record.
  AT.writeDoubleLE(at, 0);
  buf.writeUInt32LE(crc32(payload, crc32(AT)), offset + 4);
  return FRAME_HEADER_BYTES + len;
}

/** The frame of one record, in a buffer of its own. */
export function encodeFrame(payload: string, at: number): Buffer {
  const buf = Buffer.allocUnsafe(maxFrameBytes(payload));
  return buf.subarray(0, encodeFrameInto(payload, at, buf, 0));
}

export interface Frame {
  /** Offset of the frame in its segment. */
  offset: number;
  at: number;
  payload: Buffer;
}

/** Where a segment stops being readable, and why. */
export interface BadFrame {
  offset: number;
  reason: 'torn' | 'corrupt';
  detail: string;
}

export interface FrameChunk {
  frames: Frame[];
  /** Offset after the last whole frame returned. */
  next: number;
  bad: BadFrame | null;
}

/**
 * Reads the frames of a segment from `pos` up to `size`, about `maxBytes` of
 * them (at least one whole frame, however large). Stops at the first frame
 * that is cut short (torn: a write that never finished) or whose length or
 * CRC is wrong (corrupt) and says where.
 */
export function readFrames(fd: number, pos: number, size: number, maxBytes: number): FrameChunk {
  const frames: Frame[] = [];
  if (pos >= size) return { frames, next: pos, bad: null };
  let chunk = readAt(fd, pos, Math.min(Math.max(maxBytes, FRAME_HEADER_BYTES), size - pos));
  let off = 0;
  for (;;) {
    const at = pos + off;
    if (at >= size) return { frames, next: at, bad: null };
    const left = chunk.length - off;
    if (left < FRAME_HEADER_BYTES) {
      if (frames.length > 0) return { frames, next: at, bad: null };
      // Fewer header bytes than needed before the end of the file: a torn header.
      if (size - at < FRAME_HEADER_BYTES) return { frames, next: at, bad: { offset: at, reason: 'torn', detail: `${size - at} bytes of a record header` } };
      chunk = readAt(fd, at, FRAME_HEADER_BYTES);
      off = 0;
      pos = at;
      continue;
    }
    const len = chunk.readUInt32LE(off);
    if (len > MAX_RECORD_BYTES) return { frames, next: at, bad: { offset: at, reason: 'corrupt', detail: `record length ${len}` } };
    const whole = FRAME_HEADER_BYTES + len;
    if (size - at < whole) return { frames, next: at, bad: { offset: at, reason: 'torn', detail: `${size - at} of ${whole} bytes` } };
    if (left < whole) {
      if (frames.length > 0) return { frames, next: at, bad: null };
      // The first frame is larger than the chunk: read exactly it.
      chunk = readAt(fd, at, whole);
      off = 0;
      pos = at;
      continue;
    }
    const body = chunk.subarray(off + 8, off + whole);
    if (crc32(body) !== chunk.readUInt32LE(off + 4)) return { frames, next: at, bad: { offset: at, reason: 'corrupt', detail: 'CRC mismatch' } };
    frames.push({ offset: at, at: chunk.readDoubleLE(off + 8), payload: chunk.subarray(off + FRAME_HEADER_BYTES, off + whole) });
    off += whole;
  }
}

function readAt(fd: number, pos: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}
