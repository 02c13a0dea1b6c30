import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { SpikemedError } from "../core/errors.js";

/**
 * What a training or inference run costs on this machine, labelled with how it was obtained:
 * - "rapl": the CPU's own energy counters (Linux powercap). They cover the whole package
 *   (all processes on those sockets) plus DRAM where exposed, not this process alone.
 * - "cpu-time": this process's CPU time (all its threads, worker threads included) times a
 *   power per core, CodeCarbon's fallback: TDP / cores, with CodeCarbon's default TDP of
 *   85 W for a CPU it cannot identify. An estimate, not a measurement.
 */

export type MeasurementMethod = "rapl" | "cpu-time";

export interface EnergyMeasurement {
  joules: number;
  /** Wall-clock seconds between start and stop. */
  seconds: number;
  /** CPU seconds (user + system) used by this process over the same span. */
  cpuSeconds: number;
  method: MeasurementMethod;
  /** How the figure was obtained (zones read, or the power assumed and why RAPL was not used). */
  details: string;
}

/** CodeCarbon's assumed TDP for a CPU missing from its table (codecarbon/external/hardware.py). */
export const DEFAULT_CPU_TDP_WATTS = 85;

export interface EnergyMeterOptions {
  /** Root of the powercap tree; default /sys/class/powercap. */
  powercapRoot?: string;
  /** Skip RAPL and always use CPU time. */
  forceCpuTime?: boolean;
  /** Power per busy core (W) for the CPU-time method; overrides tdpWatts / cores. */
  wattsPerCore?: number;
  /** Package TDP (W) for the CPU-time method; default 85 W. */
  tdpWatts?: number;
  /** Cores sharing that TDP; default os.availableParallelism(). */
  cores?: number;
  /** Reads a file as text; replaceable to test unreadable counters (root can read anything). */
  readText?: (path: string) => string;
}

export interface EnergyMeter {
  readonly method: MeasurementMethod;
  /**
   * Reads the counters now so a wraparound is not missed: a counter wraps after
   * max_energy_range_uj (about 262 kJ on many CPUs, tens of minutes at full load), and only
   * one wrap between two readings can be detected. Call it once per epoch in long runs.
   */
  sample(): void;
  stop(): EnergyMeasurement;
}

interface RaplZone {
  path: string;
  name: string;
  maxRangeMicrojoules: number;
  last: number;
  accumulated: number;
}

type RaplProbe = { zones: RaplZone[] } | { unavailable: string };

function readCounter(readText: (path: string) => string, path: string): number {
  const text = readText(path).trim();
  if (!/^\d+$/.test(text)) throw new Error(`unexpected content ${JSON.stringify(text.slice(0, 40))} in ${path}`);
  return Number(text);
}

function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}` : (err as Error).message;
}

/**
 * Package zones (intel-rapl:N named package-*) and DRAM sub-zones. Core/uncore sub-zones are
 * inside the package figure and psys covers the package too, so adding them would count twice.
 */
function probeRapl(root: string, readText: (path: string) => string): RaplProbe {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (err) {
    return { unavailable: `no powercap interface at ${root} (${errorText(err)})` };
  }
  const candidates = entries.filter((e) => /^intel-rapl:\d+(:\d+)?$/.test(e)).sort();
  const zones: RaplZone[] = [];
  for (const entry of candidates) {
    const dir = join(root, entry);
    try {
      const name = readText(join(dir, "name")).trim();
      const isPackage = /^intel-rapl:\d+$/.test(entry) && name.startsWith("package");
      if (!isPackage && name !== "dram") continue;
      const start = readCounter(readText, join(dir, "energy_uj"));
      const maxRangeMicrojoules = readCounter(readText, join(dir, "max_energy_range_uj"));
      zones.push({ path: dir, name, maxRangeMicrojoules, last: start, accumulated: 0 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "EACCES" || code === "EPERM"
          ? `RAPL counters in ${dir} are not readable (${code}; since Linux 5.10 energy_uj is root-only: run as root or make it readable)`
          : `RAPL zone ${dir} could not be read (${errorText(err)})`;
      return { unavailable: why };
    }
  }
  if (zones.length === 0) return { unavailable: `no RAPL package zones under ${root}` };
  return { zones };
}

function sampleZone(zone: RaplZone, readText: (path: string) => string): void {
  const path = join(zone.path, "energy_uj");
  let now: number;
  try {
    now = readCounter(readText, path);
  } catch (err) {
    throw new SpikemedError(`energy meter: cannot read RAPL counter ${path} during the run (${errorText(err)})`);
  }
  let delta = now - zone.last;
  if (delta < 0) delta += zone.maxRangeMicrojoules;
  zone.accumulated += delta;
  zone.last = now;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  // process.cpuUsage covers every thread of the process, worker threads included.
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function resolveWattsPerCore(options: EnergyMeterOptions): { watts: number; how: string } {
  if (options.wattsPerCore !== undefined) {
    if (!Number.isFinite(options.wattsPerCore) || options.wattsPerCore <= 0) {
      throw new SpikemedError(`energy meter: wattsPerCore must be a positive number, got ${options.wattsPerCore}`);
    }
    return { watts: options.wattsPerCore, how: `${options.wattsPerCore} W per core (given)` };
  }
  const tdp = options.tdpWatts ?? DEFAULT_CPU_TDP_WATTS;
  const cores = options.cores ?? availableParallelism();
  if (!Number.isFinite(tdp) || tdp <= 0) throw new SpikemedError(`energy meter: tdpWatts must be a positive number, got ${tdp}`);
  if (!Number.isInteger(cores) || cores <= 0) throw new SpikemedError(`energy meter: cores must be a positive integer, got ${cores}`);
  const tdpHow = options.tdpWatts === undefined ? `${tdp} W (CodeCarbon's default TDP for an unidentified CPU)` : `${tdp} W (given)`;
  return { watts: tdp / cores, how: `TDP ${tdpHow} / ${cores} cores = ${formatWatts(tdp / cores)} W per core` };
}

function formatWatts(w: number): string {
  return Number(w.toPrecision(4)).toString();
}

/** Starts measuring now; RAPL when readable, else CPU time x power per core. */
export function startEnergyMeter(options: EnergyMeterOptions = {}): EnergyMeter {
  const readText = options.readText ?? ((path: string) => readFileSync(path, "utf8"));
  const root = options.powercapRoot ?? "/sys/class/powercap";
  const probe: RaplProbe = options.forceCpuTime ? { unavailable: "RAPL not used (CPU time requested)" } : probeRapl(root, readText);
  // Validate the CPU-time power up front so a bad option fails at start, not after a long run.
  const power = "zones" in probe ? null : resolveWattsPerCore(options);
  const startWall = process.hrtime.bigint();
  const startCpu = process.cpuUsage();
  let stopped = false;

  const sample = (): void => {
    if ("zones" in probe) for (const zone of probe.zones) sampleZone(zone, readText);
  };

  return {
    method: "zones" in probe ? "rapl" : "cpu-time",
    sample,
    stop(): EnergyMeasurement {
      if (stopped) throw new SpikemedError("energy meter: stop() was already called");
      stopped = true;
      sample();
      const seconds = Number(process.hrtime.bigint() - startWall) / 1e9;
      const cpuSeconds = cpuSecondsSince(startCpu);
      if ("zones" in probe) {
        const joules = probe.zones.reduce((sum, z) => sum + z.accumulated, 0) / 1e6;
        const zones = probe.zones.map((z) => `${z.name} ${(z.accumulated / 1e6).toPrecision(4)} J`).join(", ");
        return {
          joules,
          seconds,
          cpuSeconds,
          method: "rapl",
          details: `RAPL powercap counters (${zones}); whole CPU package and DRAM, includes other processes`,
        };
      }
      const { watts, how } = power!;
      return {
        joules: cpuSeconds * watts,
        seconds,
        cpuSeconds,
        method: "cpu-time",
        details: `process CPU time ${cpuSeconds.toPrecision(3)} s x ${how} (CodeCarbon's method; an estimate): ${probe.unavailable}`,
      };
    },
  };
}

/** Times `work` (sync or async) with a meter. */
export async function measureEnergy<T>(
  work: () => T | Promise<T>,
  options: EnergyMeterOptions = {},
): Promise<{ result: T; measurement: EnergyMeasurement }> {
  const meter = startEnergyMeter(options);
  const result = await work();
  return { result, measurement: meter.stop() };
}

function perUnit(measurement: EnergyMeasurement, count: number, what: string): { joules: number; seconds: number; method: MeasurementMethod } {
  if (!Number.isFinite(count) || count <= 0) {
    throw new SpikemedError(`energy: number of ${what} must be positive, got ${count}`);
  }
  return { joules: measurement.joules / count, seconds: measurement.seconds / count, method: measurement.method };
}

export function energyPerInference(measurement: EnergyMeasurement, inferences: number) {
  return perUnit(measurement, inferences, "inferences");
}

export function energyPerEpoch(measurement: EnergyMeasurement, epochs: number) {
  return perUnit(measurement, epochs, "epochs");
}
