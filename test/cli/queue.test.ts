import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { queueConnection, redactQueueUrl } from "../../src/experiment/queue/index.js";
import { hasRedisServer, startProcess, startRedisServer, type RedisServer } from "./queue-helpers.js";

// Searches and seeds on a BullMQ queue (issue 34), against a Redis of the test's own on a free
// loopback port (never the machine's 6379), with a password that no output may show.
const skip = hasRedisServer ? false : "redis-server is not installed (.ci/run installs it)";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-queue-"));
const env = { ...process.env, SPIKEMED_CACHE: path.join(os.tmpdir(), "spikemed-cli-cache") };
const PASSWORD = "queue-test-secret";
const children = new Set<ChildProcess>();
/** A process of ours, killed if a test fails before it ends. */
const start = (command: string, args: string[]): ReturnType<typeof startProcess> => startProcess(command, args, env, children);
let redis: RedisServer | undefined;

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await redis?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, seconds = 120): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const SEARCH = ["search", "ecg", "--model", "snn-features", "--records", "208,209,100", "--split", "inter", "--validation", "records",
  "--epochs", "1", "--grid", "lr=3e-3,1e-2", "--folds", "2", "--threads", "1"];

function worker(...extra: string[]): ReturnType<typeof start> {
  return start(process.execPath, [main, "worker", "--queue", redis!.url, "--threads", "1", ...extra]);
}

/** The search on the queue, its results in `out`. */
function queuedSearch(out: string, ...extra: string[]): ReturnType<typeof start> {
  return start(process.execPath, [main, ...SEARCH, "--queue", redis!.url, "--out", out, ...extra]);
}

async function stopWorker(w: ReturnType<typeof start>): Promise<void> {
  w.child.kill("SIGTERM");
  await w.exited;
}

/** What a coordinator prints but its queue lines: what a local search prints. */
const printed = (output: string): string => output.split("\n").filter((l) => !/^(queue|lost the queue)/.test(l)).join("\n");

/** The search's outcome that must not depend on where it ran: the ranking (without timings), every fold's predictions, the printed lines. */
function outcome(dir: string, printed: string): { ranked: unknown; folds: Record<string, unknown>; printed: string } {
  const results = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")) as { ranked: Record<string, unknown>[] };
  const folds: Record<string, unknown> = {};
  for (const trial of fs.readdirSync(path.join(dir, "trials"))) {
    for (const seed of fs.readdirSync(path.join(dir, "trials", trial))) {
      for (const file of fs.readdirSync(path.join(dir, "trials", trial, seed)).filter((f) => f.endsWith(".json"))) {
        const { seconds: _seconds, ...saved } = JSON.parse(fs.readFileSync(path.join(dir, "trials", trial, seed, file), "utf8")) as Record<string, unknown>;
        folds[`${trial}/${seed}/${file}`] = saved;
      }
    }
  }
  return { ranked: results.ranked.map(({ seconds: _seconds, ...r }) => r), folds, printed: printed.split(dir).join("OUT") };
}

let local: ReturnType<typeof outcome>;

before(async () => {
  if (!hasRedisServer) return;
  redis = await startRedisServer(path.join(root, "redis"), PASSWORD);
  const out = path.join(root, "local");
  const r = spawnSync(process.execPath, [main, ...SEARCH, "--out", out], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  local = outcome(out, r.stdout);
  assert.equal(Object.keys(local.folds).length, 4);
});

test("a search on the queue with two worker processes gives the local search's ranking, folds and train command", { skip }, async () => {
  const workers = [worker(), worker()];
  const out = path.join(root, "two-workers");
  const coordinator = queuedSearch(out);
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.deepEqual(outcome(out, printed(coordinator.output())), local);
  assert.match(coordinator.output(), /queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: 4 job\(s\) to run/);
  assert.match(coordinator.output(), /queue: 0 waiting, 0 running, 4 done, 0 failed/);
  // Both workers took jobs (four jobs, two at a time), and neither shows the password.
  for (const w of workers) assert.match(w.output(), /done search trial/);
  await Promise.all(workers.map(stopWorker));
  for (const text of [coordinator.output(), ...workers.map((w) => w.output())]) assert.ok(!text.includes(PASSWORD), "the password is never shown");

  // Started again with --resume, the coordinator finds every fold saved and queues nothing.
  const again = queuedSearch(out, "--resume");
  assert.equal(await again.exited, 0, again.output());
  assert.match(again.output(), /0 job\(s\) to run, 4 already done/);
});

test("a worker killed with SIGKILL mid-job: another takes the job again, and the search ends with the same results", { skip }, async () => {
  const doomed = worker("--stalled-seconds", "2");
  const out = path.join(root, "killed");
  const coordinator = queuedSearch(out);
  await until(() => /started search trial 1\/2 \(lr=0\.003\) seed 1 fold 1\/2/.test(doomed.output()), "the first job to start");
  doomed.child.kill("SIGKILL");
  await doomed.exited;
  assert.doesNotMatch(doomed.output(), /done search/, "killed before it finished its job");
  const rescuer = worker("--stalled-seconds", "2");
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.match(rescuer.output(), /started search trial 1\/2 \(lr=0\.003\) seed 1 fold 1\/2/);
  assert.deepEqual(outcome(out, printed(coordinator.output())), local);
  await stopWorker(rescuer);
});

test("a coordinator killed mid-search and started again with --resume collects the jobs that finished meanwhile, without running them again", { skip }, async () => {
  const w = worker();
  const out = path.join(root, "coordinator-killed");
  const first = queuedSearch(out);
  await until(() => /done search/.test(w.output()), "a first job to finish");
  first.child.kill("SIGKILL");
  await first.exited;
  await until(() => (w.output().match(/^done search/gm) ?? []).length === 4, "the worker to finish the queued jobs");
  const again = queuedSearch(out, "--resume");
  assert.equal(await again.exited, 0, again.output());
  const started = w.output().match(/^started .*$/gm) ?? [];
  assert.equal(started.length, 4, `each job ran once:\n${w.output()}`);
  assert.equal(new Set(started).size, 4);
  assert.deepEqual(outcome(out, printed(again.output())), local);
  await stopWorker(w);
});

test("Redis restarted mid-search: worker and coordinator reconnect and the search ends with the same results", { skip }, async () => {
  const w = worker();
  const out = path.join(root, "restart");
  const coordinator = queuedSearch(out);
  await until(() => /done search/.test(w.output()), "a first job to finish");
  await redis!.stop();
  await until(() => /lost the queue at redis:\/\/:\*\*\*@/.test(coordinator.output()), "the coordinator to notice");
  await redis!.restart();
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.match(coordinator.output(), /queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is back/);
  assert.deepEqual(outcome(out, printed(coordinator.output())), local);
  await stopWorker(w);
  assert.ok(!w.output().includes(PASSWORD) && !coordinator.output().includes(PASSWORD));
});

test("a job that fails for a real reason fails once, with its error, and the coordinator stops", { skip }, async () => {
  const w = worker();
  const out = path.join(root, "bad-data");
  const coordinator = queuedSearch(out, "--data", path.join(root, "no-such-records"));
  assert.equal(await coordinator.exited, 1);
  assert.match(coordinator.output(), /error: queue: search trial \d\/2 .* failed on a worker: .*no-such-records/);
  assert.match(coordinator.output(), /fix: fix the cause, then run the same command with --resume/);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const started = w.output().match(/^started .*$/gm) ?? [];
  assert.ok(started.length >= 1 && new Set(started).size === started.length, `no job started twice:\n${w.output()}`);
  await stopWorker(w);
});

test("train --seeds 2 on the queue: each seed trained by a worker into the shared folder, the same weights and figures as a local run", { skip }, async () => {
  const TRAIN = ["train", "ecg", "--model", "snn-features", "--records", "208,209,100", "--epochs", "1", "--seeds", "2", "--threads", "1"];
  const localOut = path.join(root, "seeds-local");
  const r = spawnSync(process.execPath, [main, ...TRAIN, "--out", localOut], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  const w = worker();
  const out = path.join(root, "seeds-queue");
  const coordinator = start(process.execPath, [main, ...TRAIN, "--queue", redis!.url, "--out", out]);
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.equal((w.output().match(/^done train ecg-snn-features seed \d/gm) ?? []).length, 2, w.output());
  const figures = (text: string): string[] => text.match(/^test accuracy .*macro-F1 \S+/gm) ?? [];
  assert.deepEqual(figures(coordinator.output()), figures(r.stderr));
  assert.equal(figures(r.stderr).length, 2);
  for (const seed of ["seed-1", "seed-2"]) {
    assert.ok(fs.readFileSync(path.join(out, seed, "model.ckpt")).equals(fs.readFileSync(path.join(localOut, seed, "model.ckpt"))), `${seed}: the same weights`);
    assert.match(fs.readFileSync(path.join(out, seed, "train.log"), "utf8"), /test accuracy/);
  }
  assert.ok(fs.existsSync(path.join(out, "report.md")), "the summary over seeds");
  await stopWorker(w);
});

test("a queue URL that is not redis:// or rediss:// is refused in one line that does not repeat its password", () => {
  const refused = ["--out", path.join(root, "refused")];
  for (const args of [["worker"], ["search", "ecg", "--grid", "lr=1e-3", ...refused], ["train", "ecg", ...refused]]) {
    const r = spawnSync(process.execPath, [main, ...args, "--queue", "http://:hunter2@127.0.0.1:1"], { encoding: "utf8", env });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: --queue: expected a redis:\/\/ or rediss:\/\/ URL, got one of http:\n  fix: write redis:\/\/HOST:PORT/);
    assert.ok(!r.stderr.includes("hunter2") && !r.stdout.includes("hunter2"));
  }
  assert.ok(!fs.existsSync(path.join(root, "refused")), "nothing written");
});

test("the queue URL is shown without its password, and rediss:// asks for TLS", () => {
  assert.equal(redactQueueUrl("redis://:hunter2@db.example:6380/1"), "redis://:***@db.example:6380/1");
  assert.equal(redactQueueUrl("redis://user:hunter2@db.example"), "redis://user:***@db.example");
  assert.equal(redactQueueUrl("redis://127.0.0.1:6380"), "redis://127.0.0.1:6380");
  const tls = queueConnection("rediss://:hunter2@127.0.0.1:1");
  try {
    assert.ok(tls.options.tls, "TLS for rediss://");
    assert.equal(tls.options.password, "hunter2");
  } finally {
    tls.disconnect();
  }
  const plain = queueConnection("redis://127.0.0.1:1");
  plain.disconnect();
  assert.ok(!plain.options.tls);
});
