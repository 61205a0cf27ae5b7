/**
 * The lines of one InfluxDB write as the UTF-8 bytes of its request body,
 * encoded as each line comes: a batch held for seconds (InfluxDB slow or
 * down) is one buffer outside the JavaScript heap, not thousands of strings
 * the garbage collector copies and marks, and the request needs no join and
 * no second encoding. Lines hold no new line (line protocol escapes them), so
 * the body splits back into its lines exactly, which the rare paths need (a
 * batch InfluxDB refused, lines of a refused series).
 */
const NL = 0x0a;
/** Room for the first lines; a batch grows by doubling. */
const MIN_BYTES = 4096;

export class LineBatch {
  private buf: Buffer;
  private used = 0;
  /** Lines in the batch. */
  count = 0;

  /** `startBytes`: the first room made (it doubles when lines need more). */
  constructor(startBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(MIN_BYTES, startBytes));
  }

  add(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; one more for the new line.
    const need = this.used + line.length * 3 + 1;
    if (need > this.buf.length) this.grow(need);
    if (this.count > 0) this.buf[this.used++] = NL;
    this.used += this.buf.write(line, this.used, 'utf8');
    this.count++;
  }

  get bytes(): number {
    return this.used;
  }

  /**
   * The body, in a buffer of its own: the batch's own when it is mostly
   * full, else a copy of just the bytes (a batch sealed early by its timer
   * must not keep the whole room while it waits).
   */
  seal(): Buffer {
    const body = this.buf.subarray(0, this.used);
    return this.used * 2 >= this.buf.length ? body : Buffer.from(body);
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }
}

/** A body's lines back as strings (for the rare paths that look at lines one by one). */
export function linesOf(body: Buffer): string[] {
  return body.length === 0 ? [] : body.toString('utf8').split('\n');
}

/** A body made of `lines`, new-line separated. */
export function bodyOf(lines: string[]): Buffer {
  return Buffer.from(lines.join('\n'), 'utf8');
}
