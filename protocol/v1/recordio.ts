// RecordIO, the framing of every v1 event stream (Mesos's docs/recordio.md): each record is its
// length in bytes as decimal ASCII, a newline, then exactly that many bytes. Chunk boundaries
// carry no meaning, so the decoder takes bytes as they come and hands back whole records.

/** One record: `<length>\n<payload>`, as one buffer so it goes out as one write (one chunk). */
export function encodeRecord(payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.from(`${body.byteLength}\n`, 'latin1');
  return Buffer.concat([header, body], header.byteLength + body.byteLength);
}

export class RecordIOError extends Error {
  override readonly name = 'RecordIOError';
}

/** Digits in the largest length a uint64 can spell. */
const MAX_HEADER_DIGITS = 20;

/**
 * Incremental decoder: `decode(chunk)` returns the records the chunk completed. A length that
 * is not a decimal number, or exceeds `maxRecordBytes`, is a RecordIOError: the stream is
 * corrupt or hostile, and the caller closes it. Memory is bounded by `maxRecordBytes` plus one
 * chunk.
 */
export class RecordIODecoder {
  private header = '';
  /** Bytes of the record being read; undefined while reading a header. */
  private need: number | undefined;
  private parts: Buffer[] = [];
  private have = 0;
  private failed: RecordIOError | undefined;

  constructor(readonly maxRecordBytes = 16 * 1024 * 1024) {}

  decode(chunk: Uint8Array): Buffer[] {
    if (this.failed !== undefined) throw this.failed;
    const out: Buffer[] = [];
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < buf.length) {
      if (this.need === undefined) {
        const nl = buf.indexOf(0x0a, i);
        const end = nl === -1 ? buf.length : nl;
        this.header += buf.toString('latin1', i, end);
        if (this.header.length > MAX_HEADER_DIGITS || !/^\d*$/.test(this.header)) return this.fail(`invalid record length '${this.header.slice(0, MAX_HEADER_DIGITS)}'`);
        if (nl === -1) break;
        i = nl + 1;
        if (this.header === '') return this.fail('empty record length');
        const n = Number(this.header);
        if (n > this.maxRecordBytes) return this.fail(`record of ${this.header} bytes exceeds the limit of ${this.maxRecordBytes}`);
        this.header = '';
        this.need = n;
        if (n === 0) {
          out.push(Buffer.alloc(0));
          this.need = undefined;
        }
        continue;
      }
      const take = Math.min(this.need - this.have, buf.length - i);
      this.parts.push(buf.subarray(i, i + take));
      this.have += take;
      i += take;
      if (this.have === this.need) {
        out.push(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.have));
        this.parts = [];
        this.have = 0;
        this.need = undefined;
      }
    }
    return out;
  }

  /** Bytes held for a record not yet complete. */
  get buffered(): number {
    return this.have + this.header.length;
  }

  private fail(message: string): never {
    this.failed = new RecordIOError(message);
    throw this.failed;
  }
}
