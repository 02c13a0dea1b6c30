import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import {
  DEFAULT_CPU_TDP_WATTS,
  energyPerEpoch,
  energyPerInference,
  measureEnergy,
  startEnergyMeter,
} from "../../src/energy/index.js";

function zone(root: string, dir: string, name: string, energy: number, max: number): void {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, "name"), `${name}\n`);
  writeFileSync(join(root, dir, "energy_uj"), `${energy}\n`);
  writeFileSync(join(root, dir, "max_energy_range_uj"), `${max}\n`);
}

function setEnergy(root: string, dir: string, energy: number): void {
  writeFileSync(join(root, dir, "energy_uj"), `${energy}\n`);
}

/** Spends roughly the same CPU work however contended the machine is. */
function busyWork(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + Math.sqrt(i)) % 1e9;
  return x;
}

test("RAPL: sums package and DRAM zones, skips core and psys, handles wraparound", () => {
  const root = mkdtempSync(join(tmpdir(), "spikemed-powercap-"));
  try {
    const max = 262_143_328_850;
    zone(root, "intel-rapl:0", "package-0", 1_000_000, max);
    zone(root, "intel-rapl:0:0", "core", 500_000, max);
    zone(root, "intel-rapl:0:1", "dram", 10_000, max);
    zone(root, "intel-rapl:1", "package-1", max - 2_000_000, max);
    zone(root, "intel-rapl:2", "psys", 0, max);
    mkdirSync(join(root, "intel-rapl"));

    const meter = startEnergyMeter({ powercapRoot: root });
    assert.equal(meter.method, "rapl");
    setEnergy(root, "intel-rapl:0", 6_000_000); // +5 J
    setEnergy(root, "intel-rapl:0:0", 4_000_000); // inside the package figure: ignored
    setEnergy(root, "intel-rapl:0:1", 1_010_000); // +1 J
    setEnergy(root, "intel-rapl:1", 1_000_000); // wraps: +2 J to the top, +1 J after
    setEnergy(root, "intel-rapl:2", 99_000_000); // platform total: ignored
    meter.sample();
    setEnergy(root, "intel-rapl:0", 7_500_000); // +1.5 J
    const m = meter.stop();
    assert.equal(m.method, "rapl");
    assert.ok(Math.abs(m.joules - (5 + 1 + 3 + 1.5)) < 1e-9, `joules ${m.joules}`);
    assert.match(m.details, /package-0 6\.500 J, dram 1\.000 J, package-1 3\.000 J/);
    assert.match(m.details, /includes other processes/);
    assert.throws(() => meter.stop(), /already called/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("RAPL present but unreadable (permission) falls back to CPU time and says why", () => {
  const root = mkdtempSync(join(tmpdir(), "spikemed-powercap-"));
  try {
    zone(root, "intel-rapl:0", "package-0", 1, 1000);
    const denied = (path: string): string => {
      if (path.endsWith("energy_uj")) throw Object.assign(new Error("permission denied"), { code: "EACCES" });
      return readFileSync(path, "utf8");
    };
    const meter = startEnergyMeter({ powercapRoot: root, readText: denied, wattsPerCore: 10 });
    assert.equal(meter.method, "cpu-time");
    busyWork(2e6);
    const m = meter.stop();
    assert.equal(m.method, "cpu-time");
    assert.ok(Math.abs(m.joules - m.cpuSeconds * 10) < 1e-12);
    assert.match(m.details, /not readable \(EACCES/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("RAPL with garbage counters falls back; a counter lost during the run is a clear error", () => {
  const root = mkdtempSync(join(tmpdir(), "spikemed-powercap-"));
  try {
    zone(root, "intel-rapl:0", "package-0", 5, 1000);
    writeFileSync(join(root, "intel-rapl:0", "energy_uj"), "\n");
    const fallback = startEnergyMeter({ powercapRoot: root, wattsPerCore: 1 });
    assert.equal(fallback.method, "cpu-time");
    assert.match(fallback.stop().details, /intel-rapl:0 could not be read \(unexpected content ""/);

    setEnergy(root, "intel-rapl:0", 5);
    const meter = startEnergyMeter({ powercapRoot: root });
    assert.equal(meter.method, "rapl");
    rmSync(join(root, "intel-rapl:0", "energy_uj"));
    assert.throws(() => meter.stop(), /cannot read RAPL counter .*intel-rapl:0\/energy_uj during the run \(ENOENT\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("CPU time: joules = process CPU seconds x TDP / cores, labelled as an estimate", () => {
  const meter = startEnergyMeter({ powercapRoot: join(tmpdir(), "no-such-powercap-root"), tdpWatts: 64, cores: 16 });
  assert.equal(meter.method, "cpu-time");
  const wallStart = process.hrtime.bigint();
  busyWork(2e7);
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const m = meter.stop();
  assert.ok(m.cpuSeconds > 0 && m.cpuSeconds <= m.seconds + 0.05, `cpu ${m.cpuSeconds} s, wall ${m.seconds} s`);
  assert.ok(m.seconds >= wall);
  assert.ok(Math.abs(m.joules - m.cpuSeconds * 4) < 1e-12);
  assert.match(m.details, /TDP 64 W \(given\) \/ 16 cores = 4 W per core/);
  assert.match(m.details, /no powercap interface/);

  const defaults = startEnergyMeter({ forceCpuTime: true, cores: 4 }).stop();
  assert.match(defaults.details, new RegExp(`TDP ${DEFAULT_CPU_TDP_WATTS} W \\(CodeCarbon's default`));
  assert.throws(() => startEnergyMeter({ forceCpuTime: true, wattsPerCore: 0 }), /wattsPerCore must be a positive number/);
  assert.throws(() => startEnergyMeter({ forceCpuTime: true, cores: 1.5 }), /cores must be a positive integer/);
});

test("CPU time includes worker threads", async () => {
  const work = 3e7;
  const mainStart = process.cpuUsage();
  busyWork(work);
  const mainUsage = process.cpuUsage(mainStart);
  const sameWorkOnMain = (mainUsage.user + mainUsage.system) / 1e6;

  const { measurement } = await measureEnergy(
    () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(
          `let x = 0; for (let i = 0; i < ${work}; i++) x = (x + Math.sqrt(i)) % 1e9; require("node:worker_threads").parentPort.postMessage(x);`,
          { eval: true },
        );
        worker.once("message", () => resolve());
        worker.once("error", reject);
      }),
    { forceCpuTime: true, wattsPerCore: 1 },
  );
  // The main thread only waits, so nearly all this CPU time is the worker's.
  assert.ok(
    measurement.cpuSeconds >= 0.6 * sameWorkOnMain,
    `worker work counted ${measurement.cpuSeconds} s, same work on main ${sameWorkOnMain} s`,
  );
});

test("per-inference and per-epoch figures", () => {
  const m = { joules: 12, seconds: 3, cpuSeconds: 2, method: "cpu-time" as const, details: "" };
  assert.deepEqual(energyPerInference(m, 400), { joules: 0.03, seconds: 0.0075, method: "cpu-time" });
  assert.deepEqual(energyPerEpoch(m, 4), { joules: 3, seconds: 0.75, method: "cpu-time" });
  assert.throws(() => energyPerInference(m, 0), /number of inferences must be positive/);
});

test("this machine: reports whichever method applies", () => {
  const root = "/sys/class/powercap";
  const hasZones = existsSync(root) && readdirSync(root).some((e) => /^intel-rapl:\d+$/.test(e));
  const m = startEnergyMeter().stop();
  if (!hasZones) {
    assert.equal(m.method, "cpu-time");
  } else {
    assert.ok(m.method === "rapl" || /not readable|could not be read/.test(m.details), m.details);
  }
  assert.ok(Number.isFinite(m.joules) && m.joules >= 0);
});
