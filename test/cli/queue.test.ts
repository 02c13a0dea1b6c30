import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { queueConnection, redactQueueUrl } from "../../src/experiment/queue/index.js";

// Searches and seeds on a BullMQ queue (issue 34), against a Redis of the test's own on a free
// loopback port (never the machine's 6379), with a password that no output may show.
const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;
const skip = hasRedis ? false : "redis-server is not installed (.ci/run installs it)";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-queue-"));
const env = { ...process.env, SPIKEMED_CACHE: path.join(os.tmpdir(), "spikemed-cli-cache") };
const PASSWORD = "queue-test-secret";
const children = new Set<ChildProcess>();
let redis: { port: number; url: string; process: ChildProcess } | undefined;

after(() => {
  for (const child of children) child.kill("SIGKILL");
  redis?.process.kill("SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** A process of ours whose output is kept (and checked for the password at the end). */
function start(command: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let text = "";
  child.stdout!.on("data", (d: Buffer) => { text += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => { children.delete(child); resolve(code); }));
  return { child, output: () => text, exited };
}

async function until(condition: () => boolean, what: string, seconds = 120): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts (or restarts, on the same port and folder: its append-only file keeps the queue) the test's Redis. */
async function startRedis(port: number): Promise<void> {
  const dir = path.join(root, "redis");
  fs.mkdirSync(dir, { recursive: true });
  const server = start("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", PASSWORD, "--dir", dir,
    "--save", "", "--appendonly", "yes", "--appendfsync", "always"]);
  children.delete(server.child);
  await until(() => /Ready to accept connections/.test(server.output()), "redis-server to start", 30);
  redis = { port, url: `redis://:${PASSWORD}@127.0.0.1:${port}`, process: server.child };
}

async function stopRedis(): Promise<void> {
  const stopped = new Promise((resolve) => redis!.process.on("exit", resolve));
  redis!.process.kill("SIGTERM");
  await stopped;
}

const SEARCH = ["search", "ecg", "--model", "snn-features", "--records", "208,209,100", "--split", "inter", "--validation", "records",
  "--epochs", "1", "--grid", "lr=3e-3,1e-2", "--folds", "2", "--threads", "1"];

function worker(...extra: string[]): ReturnType<typeof start> {
  return start(process.execPath, [main, "worker", "--queue", redis!.url, "--threads", "1", ...extra]);
}

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
  if (!hasRedis) return;
  await startRedis(await freePort());
  const out = path.join(root, "local");
  const r = spawnSync(process.execPath, [main, ...SEARCH, "--out", out], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  local = outcome(out, r.stdout);
  assert.equal(Object.keys(local.folds).length, 4);
});

test("a search on the queue with two worker processes gives the local search's ranking, folds and train command", { skip }, async () => {
  const workers = [worker(), worker()];
  const out = path.join(root, "two-workers");
  const coordinator = start(process.execPath, [main, ...SEARCH, "--queue", redis!.url, "--out", out]);
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.deepEqual(outcome(out, coordinator.output().split("\n").filter((l) => !l.startsWith("queue")).join("\n")), local);
  assert.match(coordinator.output(), /queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: 4 job\(s\) to run/);
  assert.match(coordinator.output(), /queue: 0 waiting, 0 running, 4 done, 0 failed/);
  // Both workers took jobs (four jobs, two at a time), and neither shows the password.
  for (const w of workers) assert.match(w.output(), /done search trial/);
  for (const w of workers) w.child.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
  for (const text of [coordinator.output(), ...workers.map((w) => w.output())]) assert.ok(!text.includes(PASSWORD), "the password is never shown");

  // Started again with --resume, the coordinator finds every fold saved and queues nothing.
  const again = start(process.execPath, [main, ...SEARCH, "--queue", redis!.url, "--out", out, "--resume"]);
  assert.equal(await again.exited, 0, again.output());
  assert.match(again.output(), /0 job\(s\) to run, 4 already done/);
});

test("a worker killed with SIGKILL mid-job: another takes the job again, and the search ends with the same results", { skip }, async () => {
  const doomed = worker("--stalled-seconds", "2");
  const out = path.join(root, "killed");
  const coordinator = start(process.execPath, [main, ...SEARCH, "--queue", redis!.url, "--out", out]);
  await until(() => /started search trial 1\/2 \(lr=0\.003\) seed 1 fold 1\/2/.test(doomed.output()), "the first job to start");
  doomed.child.kill("SIGKILL");
  await doomed.exited;
  assert.doesNotMatch(doomed.output(), /done search/, "killed before it finished its job");
  const rescuer = worker("--stalled-seconds", "2");
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.match(rescuer.output(), /started search trial 1\/2 \(lr=0\.003\) seed 1 fold 1\/2/);
  assert.deepEqual(outcome(out, coordinator.output().split("\n").filter((l) => !l.startsWith("queue")).join("\n")), local);
  rescuer.child.kill("SIGTERM");
  await rescuer.exited;
});

test("Redis restarted mid-search: worker and coordinator reconnect and the search ends with the same results", { skip }, async () => {
  const w = worker();
  const out = path.join(root, "restart");
  const coordinator = start(process.execPath, [main, ...SEARCH, "--queue", redis!.url, "--out", out]);
  await until(() => /done search/.test(w.output()), "a first job to finish");
  await stopRedis();
  await until(() => /lost the queue at redis:\/\/:\*\*\*@/.test(coordinator.output()), "the coordinator to notice");
  await startRedis(redis!.port);
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.match(coordinator.output(), /queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is back/);
  assert.deepEqual(outcome(out, coordinator.output().split("\n").filter((l) => !/^(queue|lost the queue)/.test(l)).join("\n")), local);
  w.child.kill("SIGTERM");
  await w.exited;
  assert.ok(!w.output().includes(PASSWORD) && !coordinator.output().includes(PASSWORD));
});

test("a job that fails for a real reason fails once, with its error, and the coordinator stops", { skip }, async () => {
  const w = worker();
  const out = path.join(root, "bad-data");
  const coordinator = start(process.execPath, [main, ...SEARCH, "--data", path.join(root, "no-such-records"), "--queue", redis!.url, "--out", out]);
  assert.equal(await coordinator.exited, 1);
  assert.match(coordinator.output(), /error: queue: search trial \d\/2 .* failed on a worker: .*no-such-records/);
  assert.match(coordinator.output(), /fix: fix the cause, then run the same command with --resume/);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const started = w.output().match(/^started .*$/gm) ?? [];
  assert.ok(started.length >= 1 && new Set(started).size === started.length, `no job started twice:\n${w.output()}`);
  w.child.kill("SIGTERM");
  await w.exited;
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
