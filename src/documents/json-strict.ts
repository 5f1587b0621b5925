/**
 * Where strict JSON (RFC 8259, as Go's encoding/json, JSON.parse, Python's json and the Pact verifiers
 * read it) first goes wrong, and why. The YAML parser withstand reads positions with accepts far more
 * (`{"a":1,}`, `{'a':1}`, `{a: b}`, comments), so a `.json` file is held to JSON first. JSON.parse
 * decides; this scanner only runs when it refused, to say where (V8's messages do not always say).
 */
export interface JsonSyntaxError {
  offset: number;
  message: string;
}

/** Deeper than this the scanner stops: checkDepth refuses such text earlier, this is a backstop. */
const MAX_NESTING = 1000;

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const shown = () => (i >= text.length ? "end of file" : JSON.stringify(text[i]));
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r"))
      i++;
  };
  /** The reason a character cannot start a value, for the usual slips. */
  const unexpected = (what: string): never => {
    const c = text[i];
    if (c === "'") fail(`single quotes are not JSON (expected ${what})`);
    if (c === "/") fail(`comments are not JSON (expected ${what})`);
    return fail(`unexpected ${shown()} (expected ${what})`);
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string (expected a closing ")');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail("control character in a string (expected it escaped, e.g. \\n or \\t)");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!HEX4.test(text.slice(i + 2, i + 6))) fail("bad \\u escape (expected \\u and 4 hex digits)");
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e))
          fail(`bad escape \\${e ?? ""} (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > MAX_NESTING) fail(`nests deeper than ${MAX_NESTING} levels`);
    ws();
    const c = text[i];
    if (c === "{") object(depth);
    else if (c === "[") array(depth);
    else if (c === '"') string();
    else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) number();
    else if (!literal())
      unexpected("a JSON value: a string in double quotes, a number, true, false, null, { or [");
  };
  const number = () => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) unexpected("a number such as 1, -2.5 or 3e8");
    i += m?.[0].length ?? 0;
    // `01`, `1.`, `0x1F`: the number read stops early and the rest is not JSON.
    if (i < text.length && /[0-9.eExX+]/.test(text[i] ?? ""))
      fail("bad number (expected JSON's form, e.g. 1, -2.5, 3e8)");
  };
  const literal = (): boolean => {
    for (const word of ["true", "false", "null"])
      if (text.startsWith(word, i) && !/[\w$]/.test(text[i + word.length] ?? "")) {
        i += word.length;
        return true;
      }
    return false;
  };
  const object = (depth: number) => {
    i++;
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') {
        if (text[i] === "}") fail("trailing comma before } (JSON allows none)", lastComma);
        unexpected("a property name in double quotes");
      }
      string();
      ws();
      if (text[i] !== ":") fail(`unexpected ${shown()} (expected : after the property name)`);
      i++;
      value(depth + 1);
      ws();
      if (text[i] === ",") {
        lastComma = i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail(`unexpected ${shown()} (expected , or } after a property's value)`);
    }
  };
  const array = (depth: number) => {
    i++;
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      value(depth + 1);
      ws();
      if (text[i] === ",") {
        lastComma = i++;
        ws();
        if (text[i] === "]") fail("trailing comma before ] (JSON allows none)", lastComma);
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail(`unexpected ${shown()} (expected , or ] after an item)`);
    }
  };
  let lastComma = 0;
  try {
    // A byte order mark is not JSON, but editors write one; it is no reason to refuse a file.
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value(0);
    ws();
    if (i < text.length)
      fail(
        text[i] === "/" || text[i] === "#"
          ? "comments are not JSON (expected nothing after the top-level value)"
          : `unexpected ${shown()} after the top-level value (expected one JSON value per file)`,
      );
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, message: err.message };
    throw err;
  }
}
