import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { allowedHosts, startServer } from "../../src/cli/serve.js";
import { RESEARCH_NOTICE } from "../../src/core/index.js";
import { sampleDataDir } from "../../src/data/ecg/index.js";
import {
  measuredSoak, SECRET, send, startServeProcess, writeEcgRun, writeHostileDataFolder, type Probe,
} from "./serve-load.js";

// `spikemed serve` against what any web page the user visits (or a script on the machine) can
// send it: real HTTP requests to a started server, each refusal answered and logged, the server
// alive after every one.

let dir = "";
let run = "";
let data = "";
let server: http.Server;
let url = "";
let port = 0;
const logged: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "spikemed-serve-refusals-"));
  run = writeEcgRun(join(dir, "run"));
  data = writeHostileDataFolder(dir);
  ({ server, url } = await startServer(run, { port: 0, data, log: (line) => logged.push(line), logLimit: 1000 }));
  port = Number(new URL(url).port);
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `probe`, expecting `status` and exactly one log line naming the request, the status and `why`. */
async function refused(probe: Probe, status: number, why: RegExp): Promise<void> {
  const before = logged.length;
  const answer = await send(url, probe);
  const what = `${probe.method ?? "GET"} ${probe.target} (Host ${probe.host})`;
  assert.equal(answer.status, status, what);
  assert.ok(!answer.body.includes(SECRET) && !answer.body.includes("root:x:0:0"), `${what}: nothing of the refused file`);
  assert.equal(logged.length, before + 1, `${what}: one log line`);
  assert.match(logged[before], new RegExp(`^spikemed serve: ${probe.method ?? "GET"} \\S+ ${status} ${why.source}`), what);
  assert.ok(!logged[before].includes("\n"));
}

const alive = async () => assert.equal((await send(url, { target: "/" })).status, 200, "the server still answers");

test("a malformed percent-escape is a 400, and the server goes on", async () => {
  for (const target of ["/data/%E0%A4%A", "/dist/src/%ZZ.js", "/%", "/data/%C0%AF"]) {
    await refused({ target }, 400, /a malformed percent-escape/);
    await alive();
  }
  await refused({ target: "http://evil.example/" }, 400, /the request target is not a path/);
});

test("only the files of the listed records are served from --data, nothing else in it", async () => {
  assert.deepEqual(JSON.parse((await send(url, { target: "/data/inputs.json" })).body.toString()), ["100", "evil", "leak", "loop", "outside"]);
  for (const file of ["100.hea", "100.dat", "100.atr"]) {
    // 100.atr is a symbolic link to a file inside the folder: allowed.
    assert.deepEqual((await send(url, { target: `/data/${file}` })).body, readFileSync(join(sampleDataDir(), file)), file);
  }
  for (const target of ["/data/.env", "/data/README.md", "/data/sub%2Fhidden.hea", "/data/sub/hidden.hea", "/data/..%2F..%2Fpackage.json", "/data/100.hea.bak", "/data/%00.hea"]) {
    await refused({ target }, 404, /not one of the page's files/);
  }
});

test("a listed file whose real path leaves --data is refused: symbolic links out, a header naming ../", async () => {
  await refused({ target: "/data/leak.hea" }, 403, /its real path \/etc\/passwd lies outside /);
  await refused({ target: "/data/outside.hea" }, 403, /its real path .*secret\.dat lies outside /);
  // evil.hea names its signal file ../secret.dat; whether or not the header parser lists it, it is not served.
  for (const target of ["/data/..%2Fsecret.dat", "/data/%2E%2E/secret.dat"]) {
    const answer = await send(url, { target });
    assert.ok([403, 404].includes(answer.status) && !answer.body.includes(SECRET), `${target}: ${answer.status}`);
  }
});

test("only the compiled modules the page loads are served from dist", async () => {
  for (const target of ["/dist/src/cli/main.js", "/dist/src/cli/serve.js", "/dist/src/../../package.json", "/dist/src/web/index.d.ts", "/dist/src/web/page.js.map", "/package.json", "/vendor/dicom-parser.js"]) {
    await refused({ target }, 404, /not one of the page's files/);
  }
  // Independent of the server's own reading of imports: TypeScript's parser lists each module's
  // imports, and every module reached from the page and its Worker must be served.
  const seen = new Set<string>();
  const pending = ["/dist/src/web/page.js", "/dist/src/web/page-worker.js"];
  for (let target = pending.pop(); target !== undefined; target = pending.pop()) {
    if (seen.has(target)) continue;
    seen.add(target);
    const answer = await send(url, { target });
    assert.equal(answer.status, 200, target);
    for (const { fileName } of ts.preProcessFile(answer.body.toString(), true, true).importedFiles) {
      if (fileName.startsWith(".")) pending.push(new URL(fileName, `http://x${target}`).pathname);
    }
  }
  assert.ok(seen.has("/dist/src/core/backends/wasm/index.js") && seen.size > 40, `${seen.size} modules`);
});

test("a request whose Host is not this server's address or localhost is refused (DNS rebinding)", async () => {
  for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, "localhost", `localhost:${port + 1}`, `127.0.0.1:${port}.evil.example`]) {
    await refused({ target: "/run/model.ckpt", host }, 421, /Host ".*" is not this server's address or localhost/);
  }
  await refused({ target: "/", host: null, raw: undefined }, 421, /Host null/);
  for (const host of [`localhost:${port}`, `LocalHost:${port}`, `127.0.0.1:${port}`]) assert.equal((await send(url, { target: "/run/run.json", host })).status, 200, host);
  // The host names a server bound elsewhere accepts; on every interface, any.
  const hosts = (address: string, family: string, portNumber: number) => allowedHosts({ address, family, port: portNumber });
  assert.deepEqual(hosts("::1", "IPv6", 8080), new Set(["[::1]:8080", "localhost:8080"]));
  assert.deepEqual(hosts("127.0.0.1", "IPv4", 80), new Set(["127.0.0.1", "127.0.0.1:80", "localhost", "localhost:80"]));
  assert.equal(hosts("0.0.0.0", "IPv4", 8080), null);
  assert.equal(hosts("::", "IPv6", 8080), null);
});

test("other methods and malformed HTTP are refused and logged", async () => {
  await refused({ target: "/", method: "POST" }, 405, /only GET and HEAD/);
  await refused({ target: "/data/100.hea", method: "DELETE" }, 405, /only GET and HEAD/);
  const before = logged.length;
  assert.equal((await send(url, { target: "", raw: "NOT HTTP AT ALL\r\n\r\n" })).status, 400);
  assert.equal((await send(url, { target: "", raw: `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n` })).status, 431);
  assert.deepEqual(logged.slice(before).map((line) => line.replace(/ \([A-Z_]+\)$/, "")), ["spikemed serve: (unparsed request) 400 malformed HTTP", "spikemed serve: (unparsed request) 431 malformed HTTP"]);
  await alive();
});

test("an error while answering is a 500 with one log line, a connection not accepted one line, and the server goes on", async () => {
  // loop.hea is a symbolic link to itself: reading it fails with ELOOP.
  await refused({ target: "/data/loop.hea" }, 500, /failed: ELOOP/);
  await alive();
  // Node reports a connection it could not accept (e.g. out of file descriptors) on the server.
  const before = logged.length;
  server.emit("error", Object.assign(new Error("accept EMFILE"), { code: "EMFILE" }));
  assert.deepEqual(logged.slice(before), ["spikemed serve: (connection) 503 not accepted (EMFILE)"]);
  await alive();
});

test("a flood of refused requests logs at most 20 lines a second, and counts the rest", async () => {
  const lines: string[] = [];
  const flooded = await startServer(run, { port: 0, data, log: (line) => lines.push(line) });
  const start = performance.now();
  try {
    for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 20 }, () => send(flooded.url, { target: "/data/.env" })));
  } finally {
    await new Promise((done) => flooded.server.close(done));
  }
  const seconds = (performance.now() - start) / 1000;
  const refusals = lines.filter((line) => line.includes("/data/.env 404"));
  const leftOut = lines.map((line) => Number(/(\d+) more refused request\(s\) not logged/.exec(line)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
  assert.equal(refusals.length + leftOut, 200, lines.join("\n"));
  assert.ok(refusals.length <= 20 * Math.ceil(seconds + 1), `${refusals.length} lines in ${seconds.toFixed(2)} s`);
});

test("the page says that spikemed is research software, not a medical device", async () => {
  const page = (await send(url, { target: "/" })).body.toString();
  assert.match(RESEARCH_NOTICE, /^spikemed is research software, not a medical device/);
  assert.ok(page.includes(`<p id="notice">${RESEARCH_NOTICE}</p>`));
});

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** `spikemed serve RUN ARGS` that fails to start: its exit code and stderr. */
function failedServe(...args: string[]): { code: number | null; err: string } {
  const result = spawnSync(process.execPath, [main, "serve", run, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: result.status, err: result.stderr };
}

test("a bad --port, a port in use or a --host not of this machine is one line naming the option", async () => {
  for (const bad of ["99999", "-1", "abc"]) {
    const { code, err } = failedServe("--port", bad);
    assert.equal(code, 1, bad);
    assert.match(err, /^error: option '--port <n>' argument '.*' is invalid\. expected a port from 1 to 65535, or 0 for any free one, got ".*"\n$/, bad);
  }
  const inUse = failedServe("--port", String(port));
  assert.equal(inUse.code, 1);
  assert.equal(inUse.err, `error: serve: cannot listen on port ${port} of 127.0.0.1 (EADDRINUSE): choose another --port, or --port 0 for any free one\n`);
  // 203.0.113.1 is a documentation address (RFC 5737), on no machine's interface.
  const notHere = failedServe("--port", "0", "--host", "203.0.113.1");
  assert.equal(notHere.code, 1);
  assert.match(notHere.err, /^error: serve: cannot listen on 203\.0\.113\.1 \(EADDRNOTAVAIL\): pass an address of this machine as --host, .*\n$/);
});

test("soak: a bounded load of valid and hostile requests on loopback; all answered rightly, the memory back near its start", { timeout: 180_000 }, async (t) => {
  const served = await startServeProcess([run, "--port", "0", "--data", data]);
  try {
    const { counts: [counts], before, after } = await measuredSoak(served, { warmup: 3000, requests: 3000, phases: 1, concurrency: 16, seconds: 60 });
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    t.diagnostic(`${counts.valid} valid and ${counts.hostile} hostile requests in ${counts.seconds.toFixed(1)} s; resident memory ${mib(before)} before, ${mib(after)} after`);
    assert.deepEqual({ wrong: counts.wrong, unanswered: counts.unanswered }, { wrong: [], unanswered: 0 });
    assert.equal(counts.valid + counts.hostile, 3000);
    assert.equal(served.child.exitCode, null, "the server runs");
    assert.ok(after <= before * 1.1, `resident memory ${mib(before)} before, ${mib(after)} after`);
  } finally {
    served.child.kill();
  }
});
