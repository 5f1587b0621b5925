import { WithstandError } from "./errors.js";
/**
 * HTTP/1.1 message framing (RFC 9112), as much as a reverse proxy needs to route a message and find its
 * end without re-encoding it: the start line and header fields, how the body is delimited, and a
 * streaming scanner for chunked bodies. Strict where a lenient reading could let two parties disagree
 * on where a message ends (request smuggling): bare CR or LF, folded lines, space before the colon,
 * Transfer-Encoding with Content-Length, or differing Content-Lengths are refused.
 */

/** A head larger than this is refused (431 from a client, 502 from an upstream). */
export const MAX_HEAD_BYTES = 64 * 1024;

export class FramingError extends WithstandError {
  constructor(
    message: string,
    /** The status a proxy answers a client with: 400, 431 or 501. */
    readonly status: 400 | 431 | 501 = 400,
  ) {
    super("WS_HTTP_FRAMING", message);
    this.name = "FramingError";
  }
}

/** A head's fields, in order, as sent. */
export interface Fields {
  /** Names and values as sent: [name, value, name, value, …]. */
  fields: string[];
  /** Each field's name in lower case, once: names[i] belongs to fields[2i]. */
  names: string[];
}

export interface RequestHead extends Fields {
  method: string;
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
}

export interface ResponseHead extends Fields {
  status: number;
  minor: 0 | 1;
  /** The status line as sent, without its CRLF. */
  statusLine: string;
}

/** How a message body is delimited. */
export type Framing =
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  /** Until the connection closes (responses only). */
  | { kind: "close" };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
/** A CR not followed by LF, an LF not preceded by CR, or a NUL. */
const BAD_LINE_ENDING = /\r(?!\n)|(?<!\r)\n|\0/;

/** Splits a head (without its final CRLFCRLF) into its start line and fields. */
function splitHead(head: string): Fields & { start: string } {
  if (BAD_LINE_ENDING.test(head)) throw new FramingError("a bare CR, LF or NUL in the head");
  const lines = head.split("\r\n");
  const fields: string[] = [];
  const names: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) throw new FramingError("a folded header line (obs-fold)");
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new FramingError(`a header line without a name: ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name))
      throw new FramingError(`an invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    fields.push(name, trimOws(line.slice(colon + 1)));
    names.push(name.toLowerCase());
  }
  return { start: lines[0] ?? "", fields, names };
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export function parseRequestHead(head: string): RequestHead {
  const { start, fields, names } = splitHead(head);
  const m = REQUEST_LINE.exec(start);
  if (!m) throw new FramingError(`not an HTTP/1.x request line: ${JSON.stringify(start.slice(0, 60))}`);
  return { method: m[1] as string, target: m[2] as string, minor: m[3] === "0" ? 0 : 1, fields, names };
}

export function parseResponseHead(head: string): ResponseHead {
  const { start, fields, names } = splitHead(head);
  const m = STATUS_LINE.exec(start);
  if (!m) throw new FramingError(`not an HTTP/1.x status line: ${JSON.stringify(start.slice(0, 60))}`);
  return { status: Number(m[2]), minor: m[1] === "0" ? 0 : 1, statusLine: start, fields, names };
}

/** Every value of a field, by case-insensitive name. */
export function fieldValues(head: Fields, lowerName: string): string[] {
  const out: string[] = [];
  const { names, fields } = head;
  for (let i = 0; i < names.length; i++) if (names[i] === lowerName) out.push(fields[2 * i + 1] as string);
  return out;
}

/** The comma-separated tokens of a list field (Connection, Transfer-Encoding), lower-cased. */
export function listTokens(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values)
    for (const part of v.split(",")) {
      const t = part.trim().toLowerCase();
      if (t) out.push(t);
    }
  return out;
}

function contentLength(values: readonly string[]): number | undefined {
  if (values.length === 0) return undefined;
  let length: number | undefined;
  for (const part of listTokens(values)) {
    if (!/^\d{1,15}$/.test(part)) throw new FramingError(`an invalid Content-Length ${JSON.stringify(part)}`);
    const n = Number(part);
    if (length !== undefined && n !== length) throw new FramingError("differing Content-Length values");
    length = n;
  }
  if (length === undefined) throw new FramingError("an empty Content-Length");
  return length;
}

/** How a request's body is delimited (RFC 9112 §6.3); a request without either field has none. */
export function requestFraming(head: RequestHead): Framing {
  const te = fieldValues(head, "transfer-encoding");
  const cl = fieldValues(head, "content-length");
  if (te.length > 0) {
    if (cl.length > 0) throw new FramingError("both Transfer-Encoding and Content-Length");
    if (head.minor === 0) throw new FramingError("Transfer-Encoding in an HTTP/1.0 request");
    const codings = listTokens(te);
    if (codings[codings.length - 1] !== "chunked")
      throw new FramingError(`a transfer coding other than chunked last: ${te.join(", ")}`, 501);
    return { kind: "chunked" };
  }
  return { kind: "length", length: contentLength(cl) ?? 0 };
}

/** How a response's body is delimited, given the request's method (RFC 9112 §6.3). */
export function responseFraming(head: ResponseHead, requestMethod: string): Framing {
  if (requestMethod === "HEAD" || head.status < 200 || head.status === 204 || head.status === 304)
    return { kind: "length", length: 0 };
  const te = fieldValues(head, "transfer-encoding");
  if (te.length > 0) {
    const codings = listTokens(te);
    return codings[codings.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "close" };
  }
  const length = contentLength(fieldValues(head, "content-length"));
  return length === undefined ? { kind: "close" } : { kind: "length", length };
}

/** Whether the sender keeps the connection open after this message. */
export function keepsAlive(minor: 0 | 1, connectionTokens: readonly string[]): boolean {
  return minor === 1 ? !connectionTokens.includes("close") : connectionTokens.includes("keep-alive");
}

/** The Connection field's tokens: `close`, `upgrade`, and the fields that are for this hop only. */
export function connectionTokens(head: Fields): string[] {
  return listTokens(fieldValues(head, "connection"));
}

enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

const MAX_CHUNK_SIZE_DIGITS = 13;

/**
 * Finds the end of a chunked body as its bytes arrive, without copying or decoding them: `scan` says how
 * many bytes of a buffer belong to the body, and `done` once the last chunk and trailer section are in.
 */
export class ChunkedScanner {
  private state = Chunk.Size;
  private left = 0;
  private digits = 0;

  get done(): boolean {
    return this.state === Chunk.Done;
  }

  /** The number of bytes of `buf` (from `from`) that belong to the body; throws on malformed framing. */
  scan(buf: Uint8Array, from = 0): number {
    let i = from;
    const n = buf.length;
    while (i < n && this.state !== Chunk.Done) {
      if (this.state === Chunk.Data) {
        const take = Math.min(this.left, n - i);
        i += take;
        this.left -= take;
        if (this.left === 0) this.state = Chunk.DataCr;
        continue;
      }
      this.step(buf[i] as number);
      i++;
    }
    return i - from;
  }

  private step(c: number): void {
    switch (this.state) {
      case Chunk.Size: {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.digits > MAX_CHUNK_SIZE_DIGITS) throw new FramingError("a chunk size too large");
          this.left = this.left * 16 + v;
        } else if (this.digits === 0) throw new FramingError("a chunk without a size");
        else if (c === 13) this.state = Chunk.SizeLf;
        else if (c === 59 || c === 32 || c === 9) this.state = Chunk.Extension;
        else throw new FramingError("an invalid chunk size");
        return;
      }
      case Chunk.Extension:
        if (c === 13) this.state = Chunk.SizeLf;
        else if (c === 10 || c === 0) throw new FramingError("a bare LF in a chunk extension");
        return;
      case Chunk.SizeLf:
        this.digits = 0;
        this.expect(
          c,
          10,
          this.left === 0 ? Chunk.TrailerStart : Chunk.Data,
          "a chunk size line without CRLF",
        );
        return;
      case Chunk.DataCr:
        this.expect(c, 13, Chunk.DataLf, "chunk data longer than its size");
        return;
      case Chunk.DataLf:
        this.expect(c, 10, Chunk.Size, "chunk data without CRLF");
        return;
      case Chunk.TrailerStart:
        this.state = c === 13 ? Chunk.EndLf : Chunk.Trailer;
        if (c === 10) throw new FramingError("a bare LF in the trailer section");
        return;
      case Chunk.Trailer:
        if (c === 13) this.state = Chunk.TrailerLf;
        else if (c === 10 || c === 0) throw new FramingError("a bare LF in a trailer field");
        return;
      case Chunk.TrailerLf:
        this.expect(c, 10, Chunk.TrailerStart, "a trailer field without CRLF");
        return;
      case Chunk.EndLf:
        this.expect(c, 10, Chunk.Done, "a chunked body without its final CRLF");
        return;
      default:
        return;
    }
  }

  /** The one byte a framing position allows, then the next state. */
  private expect(c: number, want: number, next: Chunk, problem: string): void {
    if (c !== want) throw new FramingError(problem);
    this.state = next;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Follows one message body as its bytes arrive: `take` says how many bytes of a buffer belong to it,
 * and `done` once it has all of them. A close-delimited body is done only when the connection ends.
 */
export class BodyTracker {
  private left: number;
  private readonly chunks: ChunkedScanner | undefined;

  constructor(readonly framing: Framing) {
    this.left = framing.kind === "length" ? framing.length : -1;
    this.chunks = framing.kind === "chunked" ? new ChunkedScanner() : undefined;
  }

  get done(): boolean {
    if (this.chunks) return this.chunks.done;
    return this.left === 0;
  }

  take(buf: Uint8Array, from = 0): number {
    if (this.chunks) return this.chunks.scan(buf, from);
    if (this.left < 0) return buf.length - from;
    const n = Math.min(this.left, buf.length - from);
    this.left -= n;
    return n;
  }
}
