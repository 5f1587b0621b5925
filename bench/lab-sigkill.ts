/**
 * 20 rounds of SIGKILL with lab faults in force (the issue's verification): each round brings a lab up,
 * injects partition, bandwidth and zone-down (frozen), SIGKILLs the runners at a random moment (before,
 * during or after the injections; every fourth round only the injectors, the lab living on), and checks
 * with ip, nft and tc on their own that nothing of it is left. Needs root. `node dist/bench/lab-sigkill.js [N]`
 */
import { killRound } from "../test/helpers/lab-sigkill.js";

const rounds = Number(process.argv[2] ?? 20);
const times: number[] = [];
for (let i = 0; i < rounds; i++) {
  const waitFor = Math.floor(Math.random() * 4);
  const delay = Math.round(Math.random() * 400);
  const keepLab = i % 4 === 3;
  const r = await killRound(keepLab ? 3 : waitFor, delay, keepLab);
  times.push(r.cleanMs);
  process.stdout.write(
    `round ${i + 1}: ${keepLab ? "injectors" : "lab and injectors"} SIGKILLed ${delay} ms after ${keepLab ? 3 : waitFor} faults (${r.faultsActive}/3 in force): ${keepLab ? "faults reverted" : `lab ${r.id} gone`} ${r.cleanMs.toFixed(0)} ms later; nothing left\n`,
  );
}
times.sort((a, b) => a - b);
process.stdout.write(
  `${rounds}/${rounds} rounds clean; time to clean after SIGKILL: median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms\n`,
);
process.exit(0);
