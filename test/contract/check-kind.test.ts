/**
 * The contract every Goss resource type passes (checks/resources/*, registered in checks/kinds.ts): an
 * entry that holds on this machine passes, one that does not fails (and its gate skips the rest), a
 * misspelt attribute is refused at its line with a did-you-mean, and a missing required attribute is
 * refused. A registered type without a harness here fails the suite.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadGossfiles } from "../../src/checks/gossfile.js";
import { CHECK_KINDS } from "../../src/checks/kinds.js";
import { FAIL, runChecks, SKIP, SUCCESS } from "../../src/checks/run.js";
import { formatDiagnostic } from "../../src/documents/diagnostic.js";
import { startServer } from "../helpers/http-server.js";
import { until } from "../helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "withstand-check-"));
const MOTD_MD5 = createHash("md5").update("hello\nworld\n").digest("hex");
let http: Awaited<ReturnType<typeof startServer>>;
let tcp: Server;
let tcpPort = 0;
let sleeper: ChildProcess;

before(async () => {
  writeFileSync(join(dir, "motd"), "hello\nworld\n", { mode: 0o640 });
  symlinkSync(join(dir, "motd"), join(dir, "link"));
  http = await startServer((req, res) => {
    res.setHeader("x-check", "yes");
    res.statusCode = req.url === "/missing" ? 404 : 200;
    res.end(req.url === "/missing" ? "not here" : '{"status":"UP"}\n');
  });
  tcp = createServer((s) => s.end());
  await new Promise<void>((done) => tcp.listen(0, "127.0.0.1", done));
  tcpPort = (tcp.address() as { port: number }).port;
  // A process with a name of its own: /proc/PID/comm is the executable's file name.
  copyFileSync("/bin/sleep", join(dir, "withstand-zzz"));
  chmodSync(join(dir, "withstand-zzz"), 0o755);
  sleeper = spawn(join(dir, "withstand-zzz"), ["60"], { stdio: "ignore" });
  const comm = `/proc/${sleeper.pid}/comm`;
  await until(
    () => existsSync(comm) && readFileSync(comm, "utf8").trim() === "withstand-zzz",
    5000,
    "the process to start",
  );
  sleeper.unref();
});
after(async () => {
  sleeper.kill("SIGKILL");
  await http.close();
  await new Promise((done) => tcp.close(done));
});

interface Harness {
  /** One entry (YAML under the type's key) that holds here. */
  ok: () => string;
  /** One that does not; its first property fails. */
  failing: () => string;
  /** An entry with a misspelt attribute, the misspelling and the suggestion. */
  misspelt: [string, string, string];
}

const HARNESSES: Record<string, Harness> = {
  // A service no init system knows is neither enabled nor running, whichever init system answers.
  service: {
    ok: () => "withstand-no-such-service: {enabled: false, running: false}",
    failing: () => "withstand-no-such-service: {enabled: true, running: true}",
    misspelt: ["withstand-no-such-service: {enabled: false, runing: false}", "runing", "running"],
  },
  addr: {
    ok: () => `tcp://127.0.0.1:${tcpPort}: {reachable: true, timeout: 1000}`,
    failing: () => "tcp://127.0.0.1:1: {reachable: true, timeout: 500}",
    misspelt: ["tcp://127.0.0.1:1: {reachable: false, timout: 5}", "timout", "timeout"],
  },
  command: {
    ok: () => `"echo hi; echo err >&2": {exit-status: 0, stdout: [hi], stderr: ["/^err$/"]}`,
    failing: () => `"exit 3": {exit-status: 0, stdout: [x]}`,
    misspelt: ["true: {exit-status: 0, stdot: []}", "stdot", "stdout"],
  },
  dns: {
    ok: () => "localhost: {resolvable: true, addrs: {contain-element: 127.0.0.1}, timeout: 2000}",
    failing: () => "no-such-host.invalid: {resolvable: true, addrs: [1.2.3.4], timeout: 2000}",
    misspelt: ["localhost: {resolvable: true, adrs: []}", "adrs", "addrs"],
  },
  file: {
    ok: () =>
      `${dir}/motd: {exists: true, mode: "0640", size: 12, filetype: file, owner: root, contents: [hello, "!nothing", "/^wor/"], md5: ${MOTD_MD5}}`,
    failing: () => `${dir}/absent: {exists: true, mode: "0644"}`,
    misspelt: [`${dir}/motd: {exists: true, mdoe: "0644"}`, "mdoe", "mode"],
  },
  group: {
    ok: () => "root: {exists: true, gid: 0}",
    failing: () => "no-such-group-zz: {exists: true, gid: 0}",
    misspelt: ["root: {exists: true, gdi: 0}", "gdi", "gid"],
  },
  http: {
    ok: () =>
      `${http.url}/health: {status: 200, headers: ["X-Check: yes"], body: ['"status":"UP"'], timeout: 2000}`,
    failing: () => `${http.url}/missing: {status: 200, body: [here]}`,
    misspelt: ["http://127.0.0.1:1/: {status: 200, bdy: []}", "bdy", "body"],
  },
  interface: {
    ok: () => "lo: {exists: true, addrs: {contain-element: 127.0.0.1/8}, mtu: {gt: 0}}",
    failing: () => "nosuchif0: {exists: true, mtu: 1500}",
    misspelt: ["lo: {exists: true, mtuu: 1}", "mtuu", "mtu"],
  },
  "kernel-param": {
    ok: () => "kernel.ostype: {value: Linux}",
    failing: () => "kernel.ostype: {value: Windows}",
    misspelt: ["kernel.ostype: {valeu: Linux}", "valeu", "value"],
  },
  matching: {
    ok: () => "three: {content: 3, matches: {lt: 5}}",
    failing: () => "list: {content: [1, 2], matches: {contain-element: 3}}",
    misspelt: ["x: {content: 1, matchs: 1}", "matchs", "matches"],
  },
  mount: {
    ok: () => '/: {exists: true, usage: {le: 100}, opts: {contain-element: {match-regexp: "^r[ow]$"}}}',
    failing: () => "/no/such/mount: {exists: true, filesystem: ext4}",
    misspelt: ["/: {exists: true, filesytem: ext4}", "filesytem", "filesystem"],
  },
  package: {
    ok: () => 'bash: {installed: true, versions: {contain-element: {match-regexp: "^[0-9]"}}}',
    failing: () => "no-such-package-zz: {installed: true, versions: [1.0]}",
    misspelt: ["bash: {installed: true, version: []}", "version", "versions"],
  },
  port: {
    ok: () => `tcp:${tcpPort}: {listening: true, ip: [127.0.0.1]}`,
    failing: () => "tcp:1: {listening: true, ip: [0.0.0.0]}",
    misspelt: ["tcp:1: {listenning: false}", "listenning", "listening"],
  },
  process: {
    ok: () => "withstand-zzz: {running: true}",
    failing: () => "no-such-proc-zz: {running: true}",
    misspelt: ["sleep: {runing: true}", "runing", "running"],
  },
  user: {
    ok: () => "root: {exists: true, uid: 0, home: /root, groups: [root]}",
    failing: () => "no-such-user-zz: {exists: true, uid: 0, home: /nowhere}",
    misspelt: ["root: {exists: true, shel: /bin/sh}", "shel", "shell"],
  },
};

function gossfile(type: string, entry: string): string {
  const file = join(dir, `${type}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `${type}:\n  ${entry}\n`);
  return file;
}

async function run(type: string, entry: string) {
  const loaded = loadGossfiles([gossfile(type, entry)], { vars: {}, env: process.env });
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), []);
  return runChecks(loaded.entries, { maxConcurrent: 50, signal: new AbortController().signal });
}

it("every registered resource type has a harness", () => {
  assert.deepEqual(
    [...CHECK_KINDS.keys()].filter((t) => !HARNESSES[t]),
    [],
  );
});

for (const [type, h] of Object.entries(HARNESSES)) {
  describe(`check kind: ${type}`, () => {
    it("passes an entry that holds on this machine", async () => {
      const results = await run(type, h.ok());
      assert.ok(results.length > 0);
      for (const r of results) assert.equal(r.result, SUCCESS, `${r.property}: ${r.err ?? r.message}`);
    });

    it("fails one that does not, skipping what its gate guards", async () => {
      const results = await run(type, h.failing());
      assert.equal(results[0]?.result, FAIL, JSON.stringify(results[0]));
      const kind = CHECK_KINDS.get(type);
      if (kind?.gate === results[0]?.property)
        for (const r of results.slice(1))
          assert.equal(r.result, SKIP, `${r.property} after a failed ${kind?.gate}`);
    });

    it("refuses a misspelt attribute at its line, and a missing required one", () => {
      const [entry, key, hint] = h.misspelt;
      const file = gossfile(type, entry);
      const loaded = loadGossfiles([file], { vars: {}, env: process.env });
      const d = loaded.diagnostics.find((x) => x.message.includes(key));
      assert.ok(d, loaded.diagnostics.map(formatDiagnostic).join("\n"));
      assert.equal(d.line, 2);
      assert.match(d.message, new RegExp(`did you mean ${hint}\\?`));
      // Goss's service has no required property.
      if (CHECK_KINDS.get(type)?.allOptional) return;
      const required = CHECK_KINDS.get(type)?.properties[0]?.name ?? "";
      const bare = loadGossfiles([gossfile(type, "anything: {title: no tests}")], {
        vars: {},
        env: process.env,
      });
      assert.ok(
        bare.diagnostics.some((x) => x.message === `missing required attribute ${required}`),
        bare.diagnostics.map(formatDiagnostic).join("\n"),
      );
    });
  });
}
