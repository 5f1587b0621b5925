import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { request } from "undici";
import { type Pact, PactFileError, readPact } from "../core/pact/pact-file.js";
import { type Diagnostic, fileDiagnostic } from "../documents/diagnostic.js";
import { diagnosticAt, parseSource, readSource, unreadable } from "../documents/source.js";

export interface LoadedPact {
  source: string;
  pact: Pact;
}

const MAX_PACT_BYTES = 64 * 1024 * 1024;

async function fetchText(url: string, signal?: AbortSignal): Promise<string> {
  const res = await request(url, {
    headers: { accept: "application/hal+json, application/json" },
    signal,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  if (res.statusCode >= 300) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const text = await res.body.text();
  if (text.length > MAX_PACT_BYTES) throw new Error(`larger than ${MAX_PACT_BYTES} bytes`);
  return text;
}

/**
 * A directory stands for the pact files in it (`*.json`, by name: Pact JS's `pacts/`, a broker's
 * download); files and URLs stand for themselves. A directory without one is reported.
 */
async function expandSources(sources: readonly string[], diagnostics: Diagnostic[]): Promise<string[]> {
  const out: string[] = [];
  for (const source of sources) {
    if (/^https?:\/\//i.test(source)) {
      out.push(source);
      continue;
    }
    const isDir = await stat(source).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) {
      out.push(source);
      continue;
    }
    const files = (await readdir(source)).filter((f) => f.toLowerCase().endsWith(".json")).sort();
    if (files.length === 0)
      diagnostics.push(
        fileDiagnostic(source, "the directory holds no pact file (expected *.json pact files)"),
      );
    out.push(...files.map((f) => join(source, f)));
  }
  return out;
}

/**
 * Reads pact files from paths, directories of pact files or http(s) URLs (a Pact Broker's pact URL works: its `_links` are
 * ignored). Every problem comes back as a diagnostic at file:line:col; nothing is thrown for bad input.
 */
export async function loadPacts(
  sources: readonly string[],
  signal?: AbortSignal,
): Promise<{ pacts: LoadedPact[]; diagnostics: Diagnostic[] }> {
  const pacts: LoadedPact[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const source of await expandSources(sources, diagnostics)) {
    let text: string;
    try {
      text = /^https?:\/\//i.test(source) ? await fetchText(source, signal) : await readSource(source);
    } catch (err) {
      diagnostics.push(
        /^https?:\/\//i.test(source)
          ? fileDiagnostic(
              source,
              `cannot fetch the pact: ${(err as Error).message} (expected a pact file's URL)`,
            )
          : unreadable(source, err, "a pact file (JSON)"),
      );
      continue;
    }
    // A pact is JSON whatever its name or URL: the verifiers of every language read it as such.
    const parsed = parseSource(source, text, { json: true });
    if (parsed.diagnostics.some((d) => d.severity === "error")) {
      diagnostics.push(...parsed.diagnostics);
      continue;
    }
    const doc = parsed.docs[0];
    if (!doc) {
      diagnostics.push(fileDiagnostic(source, "the file is empty (expected a pact file)"));
      continue;
    }
    try {
      pacts.push({ source, pact: readPact(doc.value) });
    } catch (err) {
      if (!(err instanceof PactFileError)) throw err;
      diagnostics.push(diagnosticAt(doc, [...err.path], err.message));
    }
  }
  return { pacts, diagnostics };
}
