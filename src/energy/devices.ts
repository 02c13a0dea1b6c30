import { readFileSync } from "node:fs";
import { SpikemedError } from "../core/errors.js";
import type { DeviceSpec } from "./types.js";
import builtinFile from "./devices.json" with { type: "json" };

/**
 * Device constants are data: the built-in file holds KerasSpiking's published figures and a
 * user can add or override devices with a JSON file of the same shape:
 *   { "devices": { "my-board": { "spiking": true, "energyPerSynop": 1e-11,
 *                                "energyPerNeuronUpdate": 5e-11, "source": "..." } } }
 */

const BUILTIN_LABEL = "src/energy/devices.json (built-in device constants)";
const DEVICE_FIELDS = new Set(["spiking", "energyPerSynop", "energyPerNeuronUpdate", "description", "source"]);
const FILE_FIELDS = new Set(["devices", "description"]);
const DEVICE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export type DeviceCatalog = Map<string, DeviceSpec>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldError(file: string, field: string, problem: string): SpikemedError {
  return new SpikemedError(
    `${file}: field "${field}" ${problem}`,
    'each device needs "spiking" (true/false), "energyPerSynop" and "energyPerNeuronUpdate" (joules, >= 0); "description" and "source" are optional strings',
  );
}

function energyField(file: string, path: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw fieldError(file, path, `must be a finite number of joules >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates the parsed content of a device file; `file` names it in every error. */
export function parseDeviceFile(content: unknown, file: string): DeviceSpec[] {
  if (!isPlainObject(content)) throw fieldError(file, "(top level)", "must be a JSON object");
  for (const key of Object.keys(content)) {
    if (!FILE_FIELDS.has(key)) throw fieldError(file, key, `is not a known field (known: ${[...FILE_FIELDS].join(", ")})`);
  }
  const devices = content.devices;
  if (!isPlainObject(devices)) throw fieldError(file, "devices", "must be an object mapping device names to their constants");
  const specs: DeviceSpec[] = [];
  for (const [rawName, entry] of Object.entries(devices)) {
    const name = rawName.toLowerCase();
    const path = `devices.${rawName}`;
    if (!DEVICE_NAME.test(name)) {
      throw fieldError(file, path, "has an invalid device name (use letters, digits, '.', '_' or '-')");
    }
    if (!isPlainObject(entry)) throw fieldError(file, path, "must be an object");
    for (const key of Object.keys(entry)) {
      if (!DEVICE_FIELDS.has(key)) throw fieldError(file, `${path}.${key}`, `is not a known field (known: ${[...DEVICE_FIELDS].join(", ")})`);
    }
    if (typeof entry.spiking !== "boolean") throw fieldError(file, `${path}.spiking`, `must be true or false, got ${JSON.stringify(entry.spiking)}`);
    const spec: DeviceSpec = {
      name,
      spiking: entry.spiking,
      energyPerSynop: energyField(file, `${path}.energyPerSynop`, entry.energyPerSynop),
      energyPerNeuronUpdate: energyField(file, `${path}.energyPerNeuronUpdate`, entry.energyPerNeuronUpdate),
    };
    for (const key of ["description", "source"] as const) {
      const text = entry[key];
      if (text === undefined) continue;
      if (typeof text !== "string") throw fieldError(file, `${path}.${key}`, "must be a string");
      spec[key] = text;
    }
    specs.push(spec);
  }
  return specs;
}

/** Reads and validates a user device file. */
export function readDeviceFile(path: string): DeviceSpec[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SpikemedError(`${path}: cannot read device file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (err) {
    throw new SpikemedError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseDeviceFile(content, path);
}

export function builtinDevices(): DeviceSpec[] {
  return parseDeviceFile(builtinFile, BUILTIN_LABEL);
}

/** Built-in devices, then each user file in order; a later definition of a name replaces an earlier one. */
export function loadDeviceCatalog(userFiles: readonly string[] = []): DeviceCatalog {
  const catalog: DeviceCatalog = new Map();
  for (const spec of builtinDevices()) catalog.set(spec.name, spec);
  for (const file of userFiles) {
    for (const spec of readDeviceFile(file)) catalog.set(spec.name, spec);
  }
  return catalog;
}

/** The named devices in the given order (all of the catalog when `names` is omitted). */
export function selectDevices(catalog: DeviceCatalog, names?: readonly string[], option = "--devices"): DeviceSpec[] {
  if (names === undefined) return [...catalog.values()];
  if (names.length === 0) throw new SpikemedError(`${option}: no device named`, `choose from ${[...catalog.keys()].join(", ")}`);
  const chosen: DeviceSpec[] = [];
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    const spec = catalog.get(name);
    if (!spec) {
      throw new SpikemedError(
        `${option}: unknown device "${raw}"`,
        `choose from ${[...catalog.keys()].join(", ")}, or add it in a device JSON file`,
      );
    }
    if (!chosen.includes(spec)) chosen.push(spec);
  }
  return chosen;
}
