import { SpikemedError } from "../core/errors.js";

/**
 * Checkpoint file: named float32 tensors plus JSON metadata in one file.
 *
 *   offset  size  content
 *        0     8  magic "SPKMCKPT"
 *        8     4  format version (uint32 LE), currently 1
 *       12     4  header length H in bytes (uint32 LE)
 *       16     8  tensor data length D in bytes (uint64 LE)
 *       24    32  SHA-256 of every byte from offset 56 to the end
 *       56     H  header, UTF-8 JSON: { meta, tensors: [{ name, length }] }
 *     56+H     P  zero padding so that the data starts at a multiple of 8
 *   56+H+P     D  the tensors' float32 values (little-endian), in header order
 *
 * The lengths detect truncation and the checksum any other corruption. NaN and +-Infinity in the
 * metadata (JSON has no spelling for them) survive as {"$float": "NaN"}.
 * This file decodes without Node's APIs, so a browser reads the same files; the caller hashes
 * (node:crypto or crypto.subtle, one synchronous and one not).
 */

export const MAGIC = "SPKMCKPT";
export const VERSION = 1;
export const PREFIX_BYTES = 56;

export interface CheckpointContents {
  tensors: Map<string, Float32Array>;
  meta: unknown;
}

/** Whether this machine stores numbers little-endian, as checkpoints do. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes the stored SHA-256 covers. */
export function checkpointBody(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(Math.min(PREFIX_BYTES, bytes.length));
}

export function paddingAfter(headerBytes: number): number {
  return (8 - ((PREFIX_BYTES + headerBytes) % 8)) % 8;
}

/** Validates and decodes a checkpoint's bytes; `bodyDigest` is the SHA-256 of checkpointBody(bytes), `file` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, file: string, bodyDigest: Uint8Array): CheckpointContents {
  const fix = "the file is damaged; use an earlier checkpoint or start the run again without --resume";
  const latin1 = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length < PREFIX_BYTES || latin1(0, 8) !== MAGIC) {
    if (bytes.length < PREFIX_BYTES && MAGIC.startsWith(latin1(0, Math.min(8, bytes.length)))) {
      throw new SpikemedError(`checkpoint ${file} is truncated: ${bytes.length} bytes, shorter than the ${PREFIX_BYTES}-byte header`, fix);
    }
    throw new SpikemedError(`${file} is not a spikemed checkpoint (it does not start with "${MAGIC}")`, "pass a checkpoint written by spikemed train");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new SpikemedError(`checkpoint ${file} has format version ${version}; this spikemed reads version ${VERSION}`, "use the spikemed version that wrote it");
  }
  const headerBytes = view.getUint32(12, true);
  const dataBytes = Number(view.getBigUint64(16, true));
  const dataStart = PREFIX_BYTES + headerBytes + paddingAfter(headerBytes);
  const expected = dataStart + dataBytes;
  if (bytes.length < expected) {
    throw new SpikemedError(`checkpoint ${file} is truncated: ${bytes.length} bytes, expected ${expected}`, fix);
  }
  if (bytes.length > expected) {
    throw new SpikemedError(`checkpoint ${file} is corrupt: ${bytes.length - expected} unexpected bytes after the data`, fix);
  }
  const stored = bytes.subarray(24, PREFIX_BYTES);
  if (bodyDigest.length !== stored.length || bodyDigest.some((b, i) => b !== stored[i])) {
    throw new SpikemedError(`checkpoint ${file} is corrupt: its SHA-256 checksum does not match its contents`, fix);
  }
  let header: { meta: unknown; tensors: { name: string; length: number }[] };
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes)), decodeNonFinite);
  } catch {
    throw new SpikemedError(`checkpoint ${file} is corrupt: its header is not valid JSON`, fix);
  }
  if (!header || !Array.isArray(header.tensors)) throw new SpikemedError(`checkpoint ${file} is corrupt: its header lists no tensors`, fix);
  const tensors = new Map<string, Float32Array>();
  let offset = dataStart;
  for (const entry of header.tensors) {
    if (typeof entry?.name !== "string" || !Number.isInteger(entry.length) || entry.length < 0 || tensors.has(entry.name)) {
      throw new SpikemedError(`checkpoint ${file} is corrupt: bad tensor entry ${JSON.stringify(entry)}`, fix);
    }
    const end = offset + entry.length * 4;
    if (end > bytes.length) throw new SpikemedError(`checkpoint ${file} is corrupt: tensor "${entry.name}" runs past the end of the data`, fix);
    const tensor = new Float32Array(entry.length);
    if (LITTLE_ENDIAN) {
      new Uint8Array(tensor.buffer).set(bytes.subarray(offset, end));
    } else {
      for (let i = 0; i < entry.length; i++) tensor[i] = view.getFloat32(offset + 4 * i, true);
    }
    tensors.set(entry.name, tensor);
    offset = end;
  }
  if (offset !== bytes.length) throw new SpikemedError(`checkpoint ${file} is corrupt: the tensors do not fill the data section`, fix);
  return { tensors, meta: header.meta };
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const spelled = (value as { $float?: unknown }).$float;
    if (keys.length === 1 && (spelled === "NaN" || spelled === "Infinity" || spelled === "-Infinity")) return Number(spelled);
  }
  return value;
}
