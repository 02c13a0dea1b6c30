/**
 * Downloading WFDB records from PhysioNet (or a mirror with the same layout:
 * `<baseUrl>/<database>/<version>/<record>.hea`, the signal files the header names, and
 * `<record>.<annotator>`). Files are written atomically and each record is verified by reading it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SpikemedError } from "../../core/errors.js";
import { writeFileAtomic } from "../atomic-file.js";
import { parseWfdbHeader } from "./wfdb-header.js";
import { readRecord } from "./wfdb-record.js";

export interface DownloadOptions {
  /** Destination folder (created if needed). */
  destDir: string;
  /** Records to fetch; default: every name in the database's RECORDS file. */
  records?: readonly string[];
  /** Default "https://physionet.org/files". */
  baseUrl?: string;
  /** Default "mitdb". */
  database?: string;
  /** Default "1.0.0". */
  version?: string;
  /** Annotation files to fetch; default ["atr"]. */
  annotators?: readonly string[];
  /** Called after each file is saved. */
  onFile?: (fileName: string, bytes: number) => void;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new SpikemedError(`cannot download ${url}: ${(error as Error).message}`, "check the internet connection and the base URL");
  }
  if (!response.ok) throw new SpikemedError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`, "check the database name, version and record names");
  return new Uint8Array(await response.arrayBuffer());
}

/** Downloads records and verifies each one's checksums; returns the record names saved. */
export async function downloadRecords(options: DownloadOptions): Promise<string[]> {
  const base = `${(options.baseUrl ?? "https://physionet.org/files").replace(/\/+$/, "")}/${options.database ?? "mitdb"}/${options.version ?? "1.0.0"}`;
  mkdirSync(options.destDir, { recursive: true });
  let records = options.records ? [...options.records] : undefined;
  if (!records) {
    const listing = await fetchBytes(`${base}/RECORDS`);
    writeFileAtomic(join(options.destDir, "RECORDS"), listing);
    records = new TextDecoder().decode(listing).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  }
  for (const name of records) {
    if (!/^[\w.-]+$/.test(name)) throw new SpikemedError(`record name "${name}" is not a plain file name`);
    const headerBytes = await fetchBytes(`${base}/${name}.hea`);
    const header = parseWfdbHeader(new TextDecoder("latin1").decode(headerBytes), `${base}/${name}.hea`);
    const files = [...new Set(header.signals.filter((s) => s.format !== 0).map((s) => s.fileName))];
    for (const file of files) {
      if (!/^[\w.-]+$/.test(file)) throw new SpikemedError(`${name}.hea names signal file "${file}", which is not a plain file name`);
    }
    const downloads: Array<[string, Uint8Array]> = [[`${name}.hea`, headerBytes]];
    for (const file of files) downloads.push([file, await fetchBytes(`${base}/${file}`)]);
    for (const annotator of options.annotators ?? ["atr"]) downloads.push([`${name}.${annotator}`, await fetchBytes(`${base}/${name}.${annotator}`)]);
    for (const [file, bytes] of downloads) {
      writeFileAtomic(join(options.destDir, file), bytes);
      options.onFile?.(file, bytes.length);
    }
    readRecord(options.destDir, name, { annotator: null });
  }
  return records;
}
