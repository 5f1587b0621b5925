import { WithstandError } from "./errors.js";

/**
 * Semantic versions and the constraint syntax Goss's `semver-constraint` takes (blang/semver ranges):
 * `">1.0.0 <2.0.0 !=1.5.0"` (space: and), `"<1.0.0 || >=2.0.0"` (or), `1.x` wildcards; versions are read
 * tolerantly (a leading `v`, missing minor or patch). Pure.
 */
interface Version {
  parts: [number, number, number];
  pre: string[];
}

/** A version or range that is not semantic versioning. */
export class SemverError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_SEMVER", message, 2, options);
    this.name = "SemverError";
  }
}

function parseVersion(text: string): Version {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  if (!m) throw new SemverError(`not a semantic version: ${JSON.stringify(text)}`);
  return { parts: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre: m[4] ? m[4].split(".") : [] };
}

function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.parts[i] !== b.parts[i]) return (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
  return comparePre(a.pre, b.pre);
}

type Test = (v: Version) => boolean;

function wildcard(op: string, text: string): Test | undefined {
  const m = /^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.([xX*]))?$/.exec(text);
  if (!m || !/[xX*]/.test(text)) return undefined;
  const major = Number(m[1]);
  const minor = m[2] && !/[xX*]/.test(m[2]) ? Number(m[2]) : undefined;
  const within = (v: Version) => v.parts[0] === major && (minor === undefined || v.parts[1] === minor);
  if (op === "" || op === "=" || op === "==") return within;
  if (op === "!=" || op === "!") return (v) => !within(v);
  throw new SemverError(`a wildcard version takes no ${op}: ${op}${text}`);
}

function atom(text: string): Test {
  const m = /^(>=|<=|!=|==|>|<|=|!)?\s*(.+)$/.exec(text);
  if (!m) throw new SemverError(`not a version constraint: ${JSON.stringify(text)}`);
  const op = m[1] ?? "";
  const w = wildcard(op, m[2] ?? "");
  if (w) return w;
  const want = parseVersion(m[2] ?? "");
  switch (op) {
    case ">":
      return (v) => compare(v, want) > 0;
    case ">=":
      return (v) => compare(v, want) >= 0;
    case "<":
      return (v) => compare(v, want) < 0;
    case "<=":
      return (v) => compare(v, want) <= 0;
    case "!=":
    case "!":
      return (v) => compare(v, want) !== 0;
    default:
      return (v) => compare(v, want) === 0;
  }
}

/** Parses a constraint once; throws SemverError when it is malformed. */
export function semverConstraint(constraint: string): (version: string) => boolean {
  const alternatives = constraint.split("||").map((alt) => {
    // "> 1.0" (operator and version apart) is one atom.
    const atoms = alt
      .trim()
      .replace(/(>=|<=|!=|==|>|<|=|!)\s+/g, "$1")
      .split(/\s+/)
      .filter(Boolean);
    if (atoms.length === 0) throw new SemverError(`empty alternative in ${JSON.stringify(constraint)}`);
    return atoms.map(atom);
  });
  return (version) => {
    const v = parseVersion(version);
    return alternatives.some((tests) => tests.every((t) => t(v)));
  };
}

/** True when `version` satisfies `constraint`; a malformed constraint throws, an unparsable version is false. */
export function satisfiesSemver(version: string, constraint: string): boolean {
  const test = semverConstraint(constraint);
  try {
    return test(version);
  } catch {
    return false;
  }
}
