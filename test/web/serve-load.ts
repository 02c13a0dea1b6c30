/**
 * `spikemed serve` as an attacker's page or script meets it, for the refusal tests, the soak test
 * and bench/serve-soak.ts: a run and a data folder with files it must not hand out, raw HTTP
 * requests (any method, Host and target, or bytes that are not HTTP), the server as its own
 * process (so its memory can be read), and a bounded load of valid and hostile requests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_BEAT_WINDOW, sampleDataDir } from "../../src/data/ecg/index.js";
import { saveRun, type RunManifest } from "../../src/experiment/index.js";
import { buildNetwork, cxrCnn, ecgSnn } from "../../src/model/index.js";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** An untrained ECG run in `dir`: the server hands out its files whatever the weights. */
export function writeEcgRun(dir: string): string {
  const model = ecgSnn();
  const manifest: RunManifest = {
    format: "spikemed-run", version: 1, task: "ecg", model, classNames: ["N", "S", "V", "F", "Q"],
    data: { task: "ecg", dataDir: null, split: "intra", seed: 1, window: DEFAULT_BEAT_WINDOW }, train: {}, seed: 5, createdAt: new Date(0).toISOString(),
  };
  saveRun(dir, manifest, buildNetwork(model, 5));
  return dir;
}

/**
 * An untrained chest X-ray run: the ReLU twin of the SNN, as an untrained SNN barely spikes and
 * its output (and occlusion map) would not show a wrong pixel.
 */
export function untrainedCxrRun() {
  const model = cxrCnn();
  const size = model.inputShape[1];
  const manifest: RunManifest = {
    format: "spikemed-run", version: 1, task: "cxr", model, classNames: ["covid", "non_covid"],
    data: { task: "cxr", dataDir: "xrays", protocol: "mixed", seed: 1, imageSize: size, onBadFile: "skip" }, train: {}, seed: 3, createdAt: new Date(0).toISOString(),
  };
  return { manifest, network: buildNetwork(model, 3), size };
}

/** The secret a file outside the data folder holds; no answer may contain it. */
export const SECRET = "secret-outside-data-folder";

/**
 * `parent`/data, a folder of WFDB records beside files the page does not need: record 100 (its
 * annotations a symbolic link inside the folder), `.env`, README.md, a record in a subfolder,
 * `leak.hea` linking to /etc/passwd, `outside.hea` linking to a file beside the folder, `evil`
 * whose header names a signal file outside it, and `loop.hea`, a link to itself (reading it fails).
 */
export function writeHostileDataFolder(parent: string): string {
  const data = join(parent, "data");
  mkdirSync(join(data, "originals"), { recursive: true });
  mkdirSync(join(data, "sub"));
  for (const file of ["100.hea", "100.dat"]) copyFileSync(join(sampleDataDir(), file), join(data, file));
  copyFileSync(join(sampleDataDir(), "100.atr"), join(data, "originals", "100.atr"));
  symlinkSync(join(data, "originals", "100.atr"), join(data, "100.atr"));
  writeFileSync(join(data, ".env"), `TOKEN=${SECRET}\n`);
  writeFileSync(join(data, "README.md"), `${SECRET}\n`);
  writeFileSync(join(data, "sub", "hidden.hea"), `${SECRET}\n`);
  writeFileSync(join(parent, "secret.dat"), `${SECRET}\n`);
  symlinkSync("/etc/passwd", join(data, "leak.hea"));
  symlinkSync(join(parent, "secret.dat"), join(data, "outside.hea"));
  writeFileSync(join(data, "evil.hea"), "evil 1 360 10\n../secret.dat 212 200 11 1024 0 0 0 MLII\n");
  symlinkSync(join(data, "loop.hea"), join(data, "loop.hea"));
  return data;
}

export interface Answer {
  status: number;
  body: Buffer;
}

/** A request as sent: any method, any Host (null: none), the target exactly as given. */
export interface Probe {
  target: string;
  method?: string;
  host?: string | null;
  /** Bytes written to the socket instead of a request (the server must answer a 4xx). */
  raw?: string;
}

/** Sends one request to the server at `url` and reads the whole answer. */
export function send(url: string, probe: Probe): Promise<Answer> {
  const { hostname, port } = new URL(url);
  if (probe.raw !== undefined) return sendRaw(hostname, Number(port), probe.raw);
  const headers: Record<string, string> = probe.host ? { Host: probe.host } : {};
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: probe.target, method: probe.method ?? "GET", headers, setHost: probe.host !== null }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Writes `bytes` on a fresh connection and reads the status line of what comes back before it closes. */
function sendRaw(host: string, port: number, bytes: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, host, () => socket.end(bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const body = Buffer.concat(chunks);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(body.toString("latin1"))?.[1] ?? 0), body });
    });
  });
}

/** `spikemed serve` running as its own process, with what it wrote on stderr so far. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr: string[];
}

/** Starts `spikemed serve ARGS` and resolves with its address once it prints it. */
export function startServeProcess(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [main, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (text: string) => stderr.push(...text.split("\n").filter(Boolean)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const url = /open (http:\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url, stderr });
    });
    child.once("exit", (code) => reject(new Error(`spikemed serve exited with ${code}: ${stderr.join("\n")}`)));
  });
}

/** A process's resident memory in bytes (Linux), from /proc. */
export function residentBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

export interface SoakCounts {
  /** Requests answered, by kind, and how many of them rightly: a valid one with a 200, a hostile one with a 4xx. */
  valid: number;
  validOk: number;
  hostile: number;
  hostileRefused: number;
  /** How many answers had each status (0: none could be read). */
  statuses: Record<number, number>;
  /** The first ten answers of the wrong kind. */
  wrong: string[];
  /** Requests that got no answer at all (connection refused or reset). */
  unanswered: number;
  seconds: number;
}

export interface SoakLimits {
  requests: number;
  concurrency: number;
  seconds: number;
}

/**
 * Sends valid and hostile requests in turn, `concurrency` at a time, until `requests` are sent or
 * `seconds` have passed: every valid one must get a 200, every hostile one a 4xx.
 */
export async function soak(url: string, valid: Probe[], hostile: Probe[], limits: SoakLimits): Promise<SoakCounts> {
  const probes = [...valid.map((probe) => ({ probe, hostile: false })), ...hostile.map((probe) => ({ probe, hostile: true }))];
  const counts: SoakCounts = { valid: 0, validOk: 0, hostile: 0, hostileRefused: 0, statuses: {}, wrong: [], unanswered: 0, seconds: 0 };
  const start = performance.now();
  const deadline = start + limits.seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (next < limits.requests && performance.now() < deadline) {
      const { probe, hostile } = probes[next++ % probes.length];
      try {
        const { status } = await send(url, probe);
        counts.statuses[status] = (counts.statuses[status] ?? 0) + 1;
        const right = hostile ? status >= 400 && status < 500 : status === 200;
        if (!right && counts.wrong.length < 10) counts.wrong.push(`${probe.method ?? "GET"} ${probe.raw === undefined ? probe.target : JSON.stringify(probe.raw)}: ${status}`);
        if (hostile) {
          counts.hostile++;
          counts.hostileRefused += Number(right);
        } else {
          counts.valid++;
          counts.validOk += Number(right);
        }
      } catch {
        counts.unanswered++;
      }
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, worker));
  counts.seconds = (performance.now() - start) / 1000;
  return counts;
}

export interface MeasuredSoak {
  counts: SoakCounts[];
  /** The server's resident memory in bytes: after the warm-up, at its highest, after each phase, and a second after the last. */
  before: number;
  peak: number;
  afterPhase: number[];
  after: number;
}

/**
 * A soak of the server process `served` in `phases` phases of `limits`, its memory read from
 * outside. First a warm-up of `warmup` requests: the heap grows to its working size (and the
 * answers' code is compiled) before the memory it starts from is read.
 */
export async function measuredSoak(served: ServeProcess, limits: SoakLimits & { warmup: number; phases: number }): Promise<MeasuredSoak> {
  const pid = served.child.pid!;
  const hostile = hostileProbes(Number(new URL(served.url).port));
  await soak(served.url, VALID_PROBES, hostile, { ...limits, requests: limits.warmup });
  const before = residentBytes(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(pid))), 100);
  const counts: SoakCounts[] = [];
  const afterPhase: number[] = [];
  try {
    for (let phase = 0; phase < limits.phases; phase++) {
      counts.push(await soak(served.url, VALID_PROBES, hostile, limits));
      afterPhase.push(residentBytes(pid));
    }
  } finally {
    clearInterval(sampler);
  }
  await new Promise((done) => setTimeout(done, 1000));
  const after = residentBytes(pid);
  return { counts, before, peak: Math.max(peak, ...afterPhase, after), afterPhase, after };
}

/** The requests the page makes (and a HEAD) for the hostile data folder's record 100. */
export const VALID_PROBES: Probe[] = [
  "/", "/data/inputs.json", "/run/run.json", "/run/model.ckpt", "/build/kernels.wasm", "/dist/src/web/page.js", "/dist/src/web/page-worker.js",
  "/dist/src/core/index.js", "/data/100.hea", "/data/100.dat", "/data/100.atr",
].map((target): Probe => ({ target })).concat({ target: "/data/100.hea", method: "HEAD" });

/** Requests a hostile page or script sends: each must get a 4xx, none may crash the server. */
export function hostileProbes(port: number): Probe[] {
  return [
    ...["/data/%E0%A4%A", "/dist/src/%ZZ.js", "/%", "/data/%C0%AF", "/data/%00.hea"],
    ...["/data/.env", "/data/README.md", "/data/sub%2Fhidden.hea", "/data/sub/hidden.hea", "/data/..%2F..%2Fpackage.json", "/data/%2E%2E/secret.dat"],
    ...["/data/leak.hea", "/data/outside.hea", "/data/..%2Fsecret.dat", "/dist/src/cli/main.js", "/dist/src/../../package.json", "/package.json", "/data/100.hea.bak"],
    ...["http://evil.example/", "*"],
  ].map((target): Probe => ({ target })).concat(
    { target: "/", host: `evil.example:${port}` },
    { target: "/run/model.ckpt", host: `127.0.0.1.evil.example:${port}` },
    { target: "/data/100.dat", host: "localhost" },
    { target: "/", method: "POST" },
    { target: "/data/100.hea", method: "DELETE" },
    { target: "", raw: "GET / HTTP/1.1\r\nHost: localhost\r\nBroken header line\r\n\r\n" },
    { target: "", raw: "NOT HTTP AT ALL\r\n\r\n" },
    { target: "", raw: `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n` },
  );
}
