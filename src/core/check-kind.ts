/**
 * A Goss resource type (checks/resources/<type>.ts): what a Gossfile entry of that type may say, and
 * how withstand observes the system for it. The same lists drive validation (an unknown attribute is
 * an error at its line) and execution (the properties asked for are observed and matched).
 */

/** The type of a setting: read from the entry, never matched. */
export type SettingType = "string" | "number" | "boolean" | "strings" | "any";

export interface PropertySpec {
  name: string;
  /** An output read whole: a list of expectations is line patterns, a string is the whole text. */
  stream?: boolean;
  /** An empty list is no test, as for streams (Goss's isSet: http `headers`). */
  unsetWhenEmpty?: boolean;
  /** Older names Goss still reads (file `contains` for `contents`). */
  aliases?: readonly string[];
}

export interface ObserveContext {
  signal: AbortSignal;
  /** The directory of the Gossfile the entry came from (relative paths). */
  dir: string;
}

/** What the system is, for one entry: each asked property's value, or an error that fails it. */
export type Observation = Record<string, unknown>;

export interface CheckKind {
  /** The Gossfile key: `file`, `port`, `kernel-param`. */
  readonly type: string;
  /** The resource type Goss reports: `File`, `Port`, `KernelParam`. */
  readonly title: string;
  readonly settings: Readonly<Record<string, SettingType>>;
  /** Matched properties, in the order Goss reports them. */
  readonly properties: readonly PropertySpec[];
  /**
   * The property that decides whether the rest can be observed at all (`exists`, `installed`,
   * `listening`, ...): when it fails, Goss skips the others, and so does withstand.
   */
  readonly gate?: string;
  /** Whether every property may be left out (Goss's `service`); otherwise the first one is required. */
  readonly allOptional?: boolean;
  /** A setting that must be given, when the id cannot stand for it. */
  readonly requires?: string;
  /** Checks an entry's id (and settings) before anything runs; returns a problem or undefined. */
  checkId?(id: string, settings: Readonly<Record<string, unknown>>): string | undefined;
  /** Observes the system for the properties `wanted`; an Error value fails that property. */
  observe(
    id: string,
    settings: Readonly<Record<string, unknown>>,
    wanted: readonly string[],
    ctx: ObserveContext,
  ): Promise<Observation>;
}
