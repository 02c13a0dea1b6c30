/**
 * On-disk cache of a decoded image set, so that a second run skips decoding.
 * Key: SHA-256 of the listing (every file's path, label, patient, source, byte size and mtime),
 * the output size and decode options, the decoding code's digest and the decoding libraries'
 * versions; any change to a file, the manifest's contents, the options, the code or a decoder gives a new key. Files are written to a temporary name and renamed, so a crash or
 * a concurrent run never leaves a half-written cache behind.
 * Layout: 8-byte magic, uint32 LE header length, JSON header, then count*S*S pixel bytes.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../atomic-file.js";
import { moduleFolderFingerprint } from "../cache.js";
import { decoderVersions } from "./decode.js";
import type { DicomWindow } from "./dicom.js";
import type { CxrIndex } from "./listing.js";
import { DEFAULT_MAX_IMAGE_PIXELS } from "./pixels.js";

const MAGIC = "SPKMCXR1";

export interface BadFileReport {
  file: string;
  reason: string;
}

/** What a cache file holds besides the pixels. */
export interface CachedHeader {
  key: string;
  size: number;
  count: number;
  classes: string[];
  files: string[];
  labels: number[];
  patientIds: (string | null)[];
  sources: (string | null)[];
  skipped: BadFileReport[];
}

/** The cache entry's key; the pixel limit is in it because it decides which files were skipped. */
export function cacheKey(index: CxrIndex, size: number, dicomWindow: DicomWindow | undefined, decoders: Record<string, string> = decoderVersions(),
  maxPixels = DEFAULT_MAX_IMAGE_PIXELS): string {
  const hash = createHash("sha256");
  // The digest of this folder's modules (listing, decoding, resizing): a code change gives new keys.
  hash.update(JSON.stringify({ code: moduleFolderFingerprint(import.meta.url), decoders, input: index.input, kind: index.kind, classes: index.classes, size, dicomWindow: dicomWindow ?? null, maxPixels }));
  for (const e of index.entries) {
    let stamp = "missing";
    try {
      const s = statSync(e.path);
      stamp = `${s.size}:${s.mtimeMs}`;
    } catch {
      // A missing file is part of the identity too: it is reported as bad on every run.
    }
    hash.update(`\n${e.path}\t${e.label}\t${e.patientId ?? ""}\t${e.source ?? ""}\t${stamp}`);
  }
  return hash.digest("hex");
}

export function cacheFilePath(dir: string, key: string): string {
  return join(dir, `cxr-${key.slice(0, 32)}.bin`);
}

/** The cached header and pixels, or null when absent, unreadable or for another key. */
export function readCache(file: string, key: string): { header: CachedHeader; pixels: Uint8Array } | null {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch {
    return null;
  }
  if (buffer.length < 12 || buffer.toString("latin1", 0, 8) !== MAGIC) return null;
  const headerLength = buffer.readUInt32LE(8);
  if (12 + headerLength > buffer.length) return null;
  let header: CachedHeader;
  try {
    header = JSON.parse(buffer.toString("utf8", 12, 12 + headerLength)) as CachedHeader;
  } catch {
    return null;
  }
  const pixelBytes = header.count * header.size * header.size;
  if (header.key !== key || buffer.length !== 12 + headerLength + pixelBytes) return null;
  return { header, pixels: new Uint8Array(buffer.buffer, buffer.byteOffset + 12 + headerLength, pixelBytes) };
}

/** Writes atomically (writeFileAtomic). */
export function writeCache(file: string, header: CachedHeader, pixels: Uint8Array): void {
  const dir = resolve(file, "..");
  mkdirSync(dir, { recursive: true });
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(headerBytes.length, 8);
  writeFileAtomic(file, [prefix, headerBytes, pixels]);
}
