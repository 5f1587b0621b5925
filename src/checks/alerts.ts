import type { CheckState, MonitoredCheck, Severity } from "./monitor.js";

/**
 * Alerts from a monitor's states: one `firing` message when a check starts failing (after
 * `failureThreshold` failed runs in a row), none while it keeps failing (unless a reminder is due),
 * one `resolved` when it recovers. Only checks at or above `severity` alert (1: only what pages at
 * 3 am, the FT rule). An acknowledged check stays silent until it recovers.
 */
export interface AlertMessage {
  /** The body's version, so receivers can tell formats apart. */
  version: "withstand.alert/v1";
  status: "firing" | "resolved";
  system: { code: string; name: string };
  check: {
    id: string;
    name: string;
    kind: string;
    severity: Severity;
    businessImpact: string;
    technicalSummary: string;
    panicGuide: string;
    checkOutput: string;
    lastUpdated: string | null;
  };
  /** When the check started failing (ISO time). */
  startsAt: string;
  /** When it recovered (resolved only). */
  endsAt?: string;
  /** 0 for the first message, then 1, 2, ... for reminders. */
  reminder: number;
  /** The monitor's health page. */
  healthUrl: string;
}

/** What an alert carries of a check's output: an alert is a line for a person, not a log. */
export const MAX_ALERT_OUTPUT = 4096;

function clip(text: string): string {
  return text.length <= MAX_ALERT_OUTPUT
    ? text
    : `${text.slice(0, MAX_ALERT_OUTPUT)}… [truncated: ${text.length - MAX_ALERT_OUTPUT} more characters on the health page]`;
}

export interface AlerterOptions {
  system: { code: string; name: string };
  healthUrl: string;
  /** Checks of this severity or worse alert (1 = only critical). */
  severity: Severity;
  failureThreshold: number;
  /** Repeat a firing alert this often while it lasts; 0: never. */
  repeatMs: number;
  send: (message: AlertMessage) => void;
}

interface Open {
  since: number;
  lastSent: number;
  reminders: number;
  /** Whether `firing` went out (an acknowledged check never sends one, so it sends no `resolved` either). */
  fired: boolean;
}

export class Alerter {
  private readonly open = new Map<string, Open>();

  constructor(private readonly opts: AlerterOptions) {}

  private message(
    c: MonitoredCheck,
    s: CheckState,
    status: AlertMessage["status"],
    o: Open,
    now: number,
  ): AlertMessage {
    return {
      version: "withstand.alert/v1",
      status,
      system: this.opts.system,
      check: {
        id: c.id,
        name: c.name,
        kind: c.kind,
        severity: c.severity,
        businessImpact: c.businessImpact,
        technicalSummary: c.technicalSummary,
        panicGuide: c.panicGuide,
        checkOutput: clip(s.output),
        lastUpdated: s.lastUpdated === undefined ? null : new Date(s.lastUpdated).toISOString(),
      },
      startsAt: new Date(o.since).toISOString(),
      ...(status === "resolved" ? { endsAt: new Date(now).toISOString() } : {}),
      reminder: o.reminders,
      healthUrl: this.opts.healthUrl,
    };
  }

  /** Looks at every check's state (after a monitor tick) and sends what is due. */
  observe(states: ReadonlyMap<string, CheckState>, checks: readonly MonitoredCheck[], now: number): void {
    for (const c of checks) {
      const s = states.get(c.id);
      if (!s || c.severity > this.opts.severity) continue;
      const open = this.open.get(c.id);
      // A check that never ran is not yet failing: "not run recently" covers a stuck one.
      const failing =
        !s.ok && (s.failures >= this.opts.failureThreshold || s.output === "Check has not run recently");
      if (failing && !open) {
        const o: Open = { since: now, lastSent: now, reminders: 0, fired: !s.ack };
        this.open.set(c.id, o);
        if (o.fired) this.opts.send(this.message(c, s, "firing", o, now));
      } else if (failing && open) {
        if (s.ack) continue;
        if (!open.fired) {
          open.fired = true;
          open.lastSent = now;
          this.opts.send(this.message(c, s, "firing", open, now));
        } else if (this.opts.repeatMs > 0 && now - open.lastSent >= this.opts.repeatMs) {
          open.lastSent = now;
          open.reminders++;
          this.opts.send(this.message(c, s, "firing", open, now));
        }
      } else if (!failing && open && s.ok) {
        this.open.delete(c.id);
        if (open.fired) this.opts.send(this.message(c, s, "resolved", open, now));
      }
    }
  }
}
