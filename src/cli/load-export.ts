import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { stringify } from "yaml";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { type LoadJobSpec, loadJob, loadTestConfigMap } from "../core/k8s-job.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { remoteTargets } from "../documents/load-test.js";
import { loadLoadTestFile } from "../documents/load-test-file.js";
import { failUsage } from "./fail.js";
import { type LoadFlags, positiveInt } from "./load-flags.js";
import { checkGroupName } from "./load-group.js";

/** A DNS-1123 label from free text: what Kubernetes accepts as a Job name. */
function dnsLabel(text: string, max: number): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/, "");
  return label || "load";
}

/** 20261130-235959: when an export was made, in a group name's characters. */
function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function storeOf(flags: LoadFlags): LoadJobSpec["store"] {
  if (flags.storeSecret !== undefined) {
    if (flags.store !== undefined)
      failUsage("--store-secret: give either --store URL or --store-secret NAME");
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(flags.storeSecret))
      failUsage(
        `--store-secret ${flags.storeSecret}: expected a Kubernetes Secret name (lowercase, digits, '-', '.')`,
      );
    return { secret: flags.storeSecret };
  }
  const url = flags.store ?? process.env.WITHSTAND_STORE;
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url))
    failUsage(
      "--store: expected postgres://user@host:port/db (generators on a cluster need a shared store), or --store-secret NAME",
    );
  if (new URL(url).password)
    failUsage(
      "--store: the URL carries a password, which would be printed into the Job; put the URL in a Secret (key `url`) and pass --store-secret NAME",
    );
  return { url };
}

/**
 * `withstand load export kubernetes FILE --parallelism N --image IMAGE --store URL`: prints a ConfigMap
 * with the LoadTest file and an Indexed Job whose pod i runs segment i+1 of N in one group, so a team
 * runs N generators on the cluster it has and reads the merged result with `load report --group`.
 */
export async function exportCommand(args: string[], flags: LoadFlags): Promise<ExitCode> {
  const [format, file, extra] = args;
  if (format !== "kubernetes")
    failUsage(`load export ${format ?? ""}: expected \`load export kubernetes FILE\``);
  if (file === undefined) failUsage("load export kubernetes: expected a LoadTest file");
  if (extra !== undefined) failUsage(`load export kubernetes: unexpected argument ${extra}`);
  if (flags.image === undefined || !/^\S+$/.test(flags.image))
    failUsage(
      "--image: expected the container image that has withstand on its PATH, e.g. registry.example/withstand:0.1",
    );
  if (flags.parallelism === undefined) failUsage("--parallelism: expected the number of generators, e.g. 20");
  const parallelism = positiveInt("--parallelism", flags.parallelism, 1, 10_000);
  const loaded = await loadLoadTestFile(file);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.plan || hasErrors(loaded.diagnostics)) return EXIT.invalid;
  const name = flags.name ?? `withstand-load-${dnsLabel(loaded.plan.name, 40)}`;
  if (!/^[a-z0-9]([a-z0-9-]{0,52}[a-z0-9])?$/.test(name))
    failUsage(
      `--name ${name}: expected a DNS label of at most 54 characters (lowercase letters, digits, '-')`,
    );
  if (flags.namespace !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(flags.namespace))
    failUsage(`--namespace ${flags.namespace}: expected a Kubernetes namespace name`);
  // A group of its own for each export: a Job applied again must not merge with the last one's results.
  const group = flags.group ?? `${name.slice(0, 47).replace(/-+$/, "")}-${stamp(new Date())}`;
  checkGroupName("--group", group);
  const spec: LoadJobSpec = {
    name,
    namespace: flags.namespace,
    image: flags.image,
    parallelism,
    group,
    fileName: basename(file),
    fileText: readFileSync(file, "utf8"),
    store: storeOf(flags),
    allowRemote: remoteTargets(loaded.plan).length > 0,
  };
  process.stdout.write(`---\n${stringify(loadTestConfigMap(spec))}---\n${stringify(loadJob(spec))}`);
  process.stderr.write(
    `withstand: ${parallelism} generators in group ${group}; apply with kubectl apply -f -, then: withstand load report --group ${group} --store ...\n`,
  );
  return EXIT.ok;
}
