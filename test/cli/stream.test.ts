// `spikemed stream`: a trained run plays an embedded record sample by sample; its beats against
// `spikemed predict`'s on the whole record, its latency figures, its notice, its refusals.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RESEARCH_NOTICE } from "../../src/core/index.js";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const record = fileURLToPath(new URL("../../../data/mitdb-sample/208", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spikemed-stream-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; out: string; err: string; seconds: number } {
  const began = performance.now();
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", env: { ...process.env, SPIKEMED_CACHE: path.join(os.tmpdir(), "spikemed-cli-cache") } });
  return { code: r.status, out: r.stdout, err: r.stderr, seconds: (performance.now() - began) / 1000 };
}

const run = path.join(dir, "run");
const trained = (): string => {
  if (!fs.existsSync(path.join(run, "run.json"))) {
    const t = cli("train", "ecg", "--epochs", "1", "--limit", "300", "--time-steps", "2", "--out", run, "--records", "208", "--threads", "1");
    assert.equal(t.code, 0, t.err);
  }
  return run;
};

test("stream 208 for 60 s: the beats predict finds, mostly of its classes, each with its latency and compute time", () => {
  const s = cli("stream", trained(), "--record", record, "--seconds", "60", "--compare", "--json", "--threads", "1");
  assert.equal(s.code, 0, s.err);
  assert.equal(s.err.trim(), RESEARCH_NOTICE, "with --json the notice goes to stderr");
  const result = JSON.parse(s.out);
  const { agreement, latency, beats } = result;
  // Measured at the commit that added this test: 102 of 104 predict beats matched, 98.04% same class.
  assert.ok(agreement.matched >= 0.95 * agreement.predicted, `${agreement.matched} of ${agreement.predicted} matched`);
  assert.ok(agreement.sameClass >= 0.9 * agreement.matched, `${agreement.sameClass} of ${agreement.matched} of the same class`);
  assert.equal(beats.length, agreement.streamed);
  assert.ok(latency.latency.median <= latency.latency.p99 && latency.latency.p99 <= latency.latency.max && latency.latency.median > 1.13);
  assert.ok(latency.computeMs.median > 0 && latency.computeMs.median <= latency.computeMs.p99 && Number.isFinite(latency.computeMs.p99));
  assert.ok(result.realTimeFactor > 0 && Number.isFinite(result.realTimeFactor));
  for (const beat of beats) {
    const total = Object.values(beat.probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-5 && beat.latency > 0 && beat.computeMs >= beat.networkMs, JSON.stringify(beat));
  }
});

test("stream at real time: 7 s of signal take 7 s or more; the notice heads the lines", () => {
  const s = cli("stream", trained(), "--record", record, "--seconds", "7", "--speed", "realtime", "--threads", "1");
  assert.equal(s.code, 0, s.err);
  assert.ok(s.out.startsWith(`${RESEARCH_NOTICE}\nstreaming record 208 (7.0 s at 360 Hz, real time)`), s.out.slice(0, 300));
  assert.ok(s.seconds >= 7, `${s.seconds} s`);
  assert.match(s.out, /record 208: \d+ beats streamed\n {2}latency from the R peak \(signal time\): median \d+\.\d{3} s/);
});

test("bad arguments are one line each, without a stack trace", () => {
  const cases: [string[], RegExp][] = [
    [["stream", "/no/such/run", "--record", record], /not a spikemed run folder/],
    [["stream", trained(), "--record", path.join(dir, "missing")], /no WFDB header .*missing\.hea/],
    [["stream", trained()], /required option '--record <path>' not specified/],
    [["stream", trained(), "--record", record, "--speed", "fast"], /expected one of realtime, max, got "fast"/],
    [["stream", trained(), "--record", record, "--context", "4"], /context of at least/],
    [["stream", trained(), "--record", record, "--hop", "0"], /expected a positive number, got "0"/],
  ];
  for (const [args, expected] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit code`);
    assert.match(r.err, expected, args.join(" "));
    // One error line; its fix, where it has one, on the next, as every command prints them.
    assert.equal(r.err.trim().split("\n").filter((line) => !/^\(add --help|^ {2}fix: /.test(line)).length, 1, `${args.join(" ")}: ${r.err}`);
    assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, "no stack trace");
  }
});
