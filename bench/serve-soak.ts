/**
 * `spikemed serve` under a hostile soak, on loopback: an untrained ECG run and a data folder with
 * files the page must not get (test/web/serve-load.ts), the server as its own process, then
 * PHASES phases of REQUESTS requests, CONCURRENCY at a time, of the page's own requests and of
 * hostile ones (bad percent-escapes, files outside the listing, symbolic links out, foreign Host
 * headers, other methods, malformed HTTP) in turn. Every valid request must get a 200, every
 * hostile one a 4xx; the server's resident memory is read from /proc after a warm-up, during the
 * soak and a second after it. Writes bench/results/serve-soak.md.
 *
 *   node dist/bench/serve-soak.js
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostileProbes, measuredSoak, startServeProcess, VALID_PROBES, writeEcgRun, writeHostileDataFolder } from "../test/web/serve-load.js";

const WARMUP = 3000;
const PHASES = 10;
const REQUESTS = 10_000;
const CONCURRENCY = 32;
const PHASE_SECONDS = 120; // a bound on each phase, whatever the machine's speed

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-serve-soak-"));
const served = await startServeProcess([writeEcgRun(path.join(dir, "run")), "--port", "0", "--data", writeHostileDataFolder(dir)]);
let result;
let running = false;
try {
  result = await measuredSoak(served, { warmup: WARMUP, phases: PHASES, requests: REQUESTS, concurrency: CONCURRENCY, seconds: PHASE_SECONDS });
  running = served.child.exitCode === null && served.child.signalCode === null;
} finally {
  served.child.kill();
  fs.rmSync(dir, { recursive: true, force: true });
}
const { counts, before, peak, afterPhase, after } = result;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const sum = (of: (phase: (typeof counts)[number]) => number) => counts.reduce((total, phase) => total + of(phase), 0);
const statuses = new Map<number, number>();
for (const phase of counts) for (const [status, n] of Object.entries(phase.statuses)) statuses.set(Number(status), (statuses.get(Number(status)) ?? 0) + n);
const wrong = counts.flatMap((phase) => phase.wrong).slice(0, 10);

const text = `# \`spikemed serve\` under a hostile soak

Command: \`npm run bench:serve-soak\` (bench/serve-soak.ts). Date: ${new Date().toISOString().slice(0, 10)}.
Machine: ${os.cpus()[0].model}, ${os.availableParallelism()} cores; Node ${process.version}; client and server on the same machine, over 127.0.0.1.

The server: \`spikemed serve RUN --port 0 --data DATA\` as its own process, with an untrained ECG run
and a data folder holding record 100 beside files the page must not get (\`.env\`, README.md, a
subfolder, \`leak.hea\` linking to /etc/passwd, a link to a file beside the folder, a header naming
\`../secret.dat\`, a link to itself). The load: ${VALID_PROBES.length} kinds of valid request (the page's own: the page, the
listing, the run, the kernels, modules, the record's files, a HEAD) and ${hostileProbes(0).length} kinds of hostile one (bad
percent-escapes, files outside the listing, links out of the folder, foreign Host headers, other
methods, malformed HTTP), sent in turn, ${CONCURRENCY} at a time: a warm-up of ${WARMUP.toLocaleString("en")} requests, then
${PHASES} phases of ${REQUESTS.toLocaleString("en")}. A valid request must get a 200, a hostile one a 4xx.

| | |
| --- | ---: |
| requests (after the warm-up) | ${sum((phase) => phase.valid + phase.hostile + phase.unanswered).toLocaleString("en")} |
| valid, answered 200 | ${sum((phase) => phase.validOk).toLocaleString("en")} of ${sum((phase) => phase.valid).toLocaleString("en")} |
| hostile, answered 4xx | ${sum((phase) => phase.hostileRefused).toLocaleString("en")} of ${sum((phase) => phase.hostile).toLocaleString("en")} |
| answers of the wrong kind | ${wrong.length ? wrong.join("; ") : "none"} |
| requests with no answer | ${sum((phase) => phase.unanswered)} |
| statuses | ${[...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n.toLocaleString("en")}`).join(", ")} |
| time | ${sum((phase) => phase.seconds).toFixed(1)} s (${(sum((phase) => phase.valid + phase.hostile) / sum((phase) => phase.seconds)).toFixed(0)} requests/s) |
| server still running at the end | ${running ? "yes" : "no"} |

Resident memory of the server process (VmRSS): ${mib(before)} MiB after the warm-up, ${mib(peak)} MiB at
its highest (read every 100 ms), ${mib(after)} MiB a second after the last phase: ${(100 * (after / before - 1)).toFixed(1)}% from where it started
(target: at most 10% above). After each phase: ${afterPhase.map(mib).join(", ")} MiB.
`;
fs.writeFileSync("bench/results/serve-soak.md", text);
process.stdout.write(text);
