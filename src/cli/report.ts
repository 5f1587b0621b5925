import { writeFileSync } from "node:fs";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { REPORT_FORMATS, type ReportFormat, renderReport } from "../report/report.js";
import { openStore } from "../store/open.js";
import { describeStoreLocation } from "../store/url.js";
import { failUsage } from "./fail.js";

export async function reportCommand(
  runId: string,
  flags: { format?: string; out?: string; store?: string },
): Promise<ExitCode> {
  const format = (flags.format ?? "md") as ReportFormat;
  if (!REPORT_FORMATS.includes(format))
    failUsage(`--format ${flags.format}: expected one of ${REPORT_FORMATS.join(", ")}`);
  const store = openStore(flags.store);
  const run = await store.getRun(runId);
  await store.close();
  if (!run)
    failUsage(
      `run ${runId}: no such run in ${describeStoreLocation(flags.store)} (see \`withstand runs\`)`,
      "WS_RUN_NOT_FOUND",
    );
  const text = renderReport(run, format);
  if (flags.out) {
    writeFileSync(flags.out, text);
    process.stderr.write(`wrote ${format} report of run ${run.id} to ${flags.out}\n`);
  } else process.stdout.write(text);
  return EXIT.ok;
}
