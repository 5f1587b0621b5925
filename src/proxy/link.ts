import type { Socket } from "node:net";
import { slice, type ToxicSpec } from "./toxics.js";

/** The per-link state of one toxic: its toxicity draw and whatever it counts. */
interface ToxicState {
  toxic: ToxicSpec;
  active: boolean;
  seen: number;
  bwNext: number;
  triggered: boolean;
  timer?: NodeJS.Timeout | undefined;
}

interface Piece {
  buf: Buffer;
  at: number;
}

export interface LinkHooks {
  /** Counts bytes read from the sending side. */
  onRead(n: number): void;
  /** Counts bytes that left the proxy in this direction. */
  onBytes(n: number): void;
  /** Ends the whole connection: both sockets, with RST when `reset`. */
  closeConnection(reset: boolean): void;
}

/**
 * One direction of one connection. Chunks run through the active toxics in order and leave at the time
 * the toxics give them, never out of order; with no active toxic they pass straight through.
 * Toxicity is drawn per link, again whenever the toxic is updated, as in Toxiproxy.
 */
export class Link {
  private states: ToxicState[] = [];
  private lastAt = 0;
  private queued = 0;
  private readonly held: Buffer[] = [];
  private ended = false;
  private endScheduled = false;
  private closed = false;
  private readonly q: { at: number; fn: () => void }[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    toxics: readonly ToxicSpec[],
    private readonly hooks: LinkHooks,
    /** The reader hands chunks to `receive` itself (net's `onread`) instead of emitting "data". */
    readsItself = false,
  ) {
    for (const t of toxics) this.addToxic(t);
    if (!readsItself) from.on("data", (chunk: Buffer) => this.receive(chunk, false));
    from.on("end", () => this.onEnd());
    to.on("drain", () => from.resume());
  }

  addToxic(toxic: ToxicSpec): void {
    const state: ToxicState = {
      toxic,
      active: Math.random() < toxic.toxicity,
      seen: 0,
      bwNext: 0,
      triggered: false,
    };
    this.states.push(state);
    this.arm(state);
  }

  updateToxic(toxic: ToxicSpec): void {
    const state = this.states.find((s) => s.toxic.name === toxic.name);
    if (!state) return;
    clearTimeout(state.timer);
    state.toxic = toxic;
    state.active = Math.random() < toxic.toxicity;
    this.arm(state);
    this.release();
  }

  removeToxic(name: string): void {
    const state = this.states.find((s) => s.toxic.name === name);
    if (!state) return;
    clearTimeout(state.timer);
    this.states = this.states.filter((s) => s !== state);
    // Toxiproxy closes connections held by a timeout toxic when the toxic goes away.
    if (state.toxic.type === "timeout" && state.active) {
      this.hooks.closeConnection(false);
      return;
    }
    this.release();
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.pumpTimer);
    for (const s of this.states) clearTimeout(s.timer);
  }

  private arm(state: ToxicState): void {
    const ms = Number(state.toxic.attributes.timeout ?? 0);
    if (state.toxic.type === "timeout" && state.active && ms > 0) {
      state.timer = setTimeout(() => this.hooks.closeConnection(false), ms);
    }
  }

  /** Data held by a stalled toxic (bandwidth 0) goes through the chain again when the chain changes. */
  private release(): void {
    if (this.held.length === 0) return;
    const again = this.held.splice(0);
    for (const b of again) this.process(b);
    if (this.ended) this.scheduleEnd();
  }

  /**
   * Takes a chunk read from `from`. A `lent` chunk lives in a buffer its reader fills again on the next
   * read: it is copied before a toxic holds it, and the answer says whether the socket still holds it
   * (a write that could not go out at once), so the reader must read into a new buffer.
   */
  receive(chunk: Buffer, lent: boolean): boolean {
    if (this.closed) return false;
    this.hooks.onRead(chunk.length);
    if (
      this.queued === 0 &&
      this.held.length === 0 &&
      !this.states.some((s) => s.active && s.toxic.type !== "noop" && s.toxic.type !== "slow_close")
    ) {
      this.write(chunk);
      return lent && this.to.writableLength > 0;
    }
    this.process(lent ? Buffer.from(chunk) : chunk);
    return false;
  }

  private process(chunk: Buffer): void {
    const now = performance.now();
    let pieces: Piece[] = [{ buf: chunk, at: now }];
    let closeAfter = false;
    for (const st of this.states) {
      if (!st.active || pieces.length === 0) continue;
      const a = st.toxic.attributes as Record<string, number>;
      switch (st.toxic.type) {
        case "latency": {
          const jitter = a.jitter ? (Math.random() * 2 - 1) * a.jitter : 0;
          for (const p of pieces) p.at += Math.max(0, (a.latency ?? 0) + jitter);
          break;
        }
        case "bandwidth": {
          const rate = a.rate ?? 0;
          if (rate <= 0) {
            // Toxiproxy stalls the stream at rate 0; the data waits until the toxic changes.
            for (const p of pieces) this.held.push(p.buf);
            pieces = [];
            break;
          }
          const out: Piece[] = [];
          const sliceBytes = rate * 100;
          for (const p of pieces) {
            for (let off = 0; off < p.buf.length; off += sliceBytes) {
              const part = p.buf.subarray(off, off + sliceBytes);
              const start = Math.max(p.at, st.bwNext);
              // rate is KB/s with 1 KB = 1000 B, i.e. `rate` bytes per millisecond.
              st.bwNext = start + part.length / rate;
              out.push({ buf: part, at: st.bwNext });
            }
          }
          pieces = out;
          break;
        }
        case "slicer": {
          const out: Piece[] = [];
          const delayMs = (a.delay ?? 0) / 1000;
          for (const p of pieces) {
            const parts = slice(p.buf, a.average_size ?? 0, a.size_variation ?? 0);
            parts.forEach((b, i) => {
              out.push({ buf: b, at: p.at + i * delayMs });
            });
          }
          pieces = out;
          break;
        }
        case "limit_data": {
          const limit = a.bytes ?? 0;
          const out: Piece[] = [];
          for (const p of pieces) {
            const left = limit - st.seen;
            if (left <= 0) break;
            const part = p.buf.length > left ? p.buf.subarray(0, left) : p.buf;
            st.seen += part.length;
            out.push({ buf: part, at: p.at });
          }
          if (st.seen >= limit) closeAfter = true;
          pieces = out;
          break;
        }
        case "timeout":
          pieces = [];
          break;
        case "reset_peer":
          this.triggerReset(st);
          pieces = [];
          break;
        default:
          break;
      }
    }
    for (const p of pieces) this.schedule(p);
    if (closeAfter) this.scheduleAt(this.lastAt, () => this.hooks.closeConnection(false));
  }

  private triggerReset(st: ToxicState): void {
    if (st.triggered) return;
    st.triggered = true;
    const ms = Number(st.toxic.attributes.timeout ?? 0);
    st.timer = setTimeout(() => this.hooks.closeConnection(true), ms);
  }

  private schedule(p: Piece): void {
    const at = Math.max(p.at, this.lastAt);
    this.lastAt = at;
    this.scheduleAt(at, () => this.write(p.buf));
  }

  /** One FIFO and one timer per link: items leave strictly in order, each no earlier than its time. */
  private scheduleAt(at: number, fn: () => void): void {
    this.q.push({ at, fn });
    this.queued++;
    if (this.q.length === 1) this.pump();
  }

  private pump(): void {
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    while (this.q.length > 0) {
      const head = this.q[0];
      if (!head) break;
      const wait = head.at - performance.now();
      if (wait > 0) {
        // Timers fire a millisecond or so late: sleep most of the wait, then yield until it is due.
        if (wait > 2) this.pumpTimer = setTimeout(() => this.pump(), wait - 1.5);
        else setImmediate(() => this.pump());
        return;
      }
      this.q.shift();
      this.queued--;
      if (!this.closed) head.fn();
    }
  }

  private write(buf: Buffer): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    this.hooks.onBytes(buf.length);
    if (!this.to.write(buf)) this.from.pause();
  }

  private onEnd(): void {
    this.ended = true;
    const reset = this.states.find((s) => s.active && s.toxic.type === "reset_peer");
    if (reset) {
      this.triggerReset(reset);
      return;
    }
    if (this.states.some((s) => s.active && s.toxic.type === "timeout")) return;
    this.scheduleEnd();
  }

  private scheduleEnd(): void {
    if (this.endScheduled || this.held.length > 0) return;
    this.endScheduled = true;
    const delay = this.states
      .filter((s) => s.active && s.toxic.type === "slow_close")
      .reduce((n, s) => n + Number(s.toxic.attributes.delay ?? 0), 0);
    this.scheduleAt(Math.max(this.lastAt, performance.now()) + delay, () => {
      if (!this.to.destroyed && !this.to.writableEnded) this.to.end();
    });
  }
}
