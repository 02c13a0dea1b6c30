/**
 * The one way spikemed replaces a file (run reports, manifests, checkpoints, data caches,
 * downloads): readers, and a crash or a power cut at any moment, find the old file whole or the
 * new one whole, never part of either.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SpikemedError } from "../core/errors.js";

export interface AtomicWriteOptions {
  /** What the file is, for the error message (default the path in quotes), e.g. `checkpoint ${file}`. */
  what?: string;
  /** The fix the error message suggests. */
  hint?: string;
}

let temporaryCounter = 0;

/**
 * Writes `data` (text, bytes, or byte chunks in order) to `file`: to a temporary name in the same
 * folder (so the rename stays on one file system), flushed to disk (fsync), renamed over `file`,
 * then the folder flushed too, so that the rename itself survives a power cut. The temporary file
 * never outlives a failed write; those of writers that were killed mid-write are removed by the
 * next write to the same file. The folder must exist. Errors are SpikemedErrors naming the file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): void {
  const dir = dirname(file);
  const prefix = temporaryPrefix(file);
  const temporary = join(dir, `${prefix}${process.pid}-${temporaryCounter++}`);
  try {
    removeStaleTemporaries(dir, prefix);
    const fd = openSync(temporary, "wx");
    try {
      const chunks = typeof data === "string" ? [Buffer.from(data, "utf8")] : data instanceof Uint8Array ? [data] : data;
      for (const chunk of chunks) writeAll(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    syncFolder(dir);
  } catch (err) {
    rmSync(temporary, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new SpikemedError(`cannot write ${options.what ?? `"${file}"`}: ${e.message}`, options.hint ?? "check that the folder is writable and the disk is not full");
  }
}

/** Names of `file`'s temporary files start with this (hidden: a dot first), then the writer's pid. */
function temporaryPrefix(file: string): string {
  return `.${basename(file)}.tmp-`;
}

/** Deletes `prefix` temporaries in `dir` left by writers that were killed mid-write (their process is gone). */
function removeStaleTemporaries(dir: string, prefix: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processExists(pid)) rmSync(join(dir, name), { force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let written = 0;
  while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
}

/** Makes the rename itself durable (POSIX); Windows cannot open a folder for fsync. */
function syncFolder(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
