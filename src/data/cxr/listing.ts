/**
 * Which images make a chest X-ray set, and their labels, without decoding anything.
 * Two layouts:
 * - a folder whose subfolders are the classes (files found recursively inside each);
 *   a folder that holds a `manifest.csv` is read through that manifest instead;
 * - a manifest CSV with columns `file` and `label`, optional `patient_id` and `source`
 *   (other columns are ignored); `file` paths are relative to the manifest's folder.
 * Hidden files and folders (name starting with ".") are ignored; every other file is listed,
 * so a stray non-image surfaces later as a bad file, by name.
 */
import { readdirSync, readFileSync, statSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { parse } from "csv-parse/sync";
import { SpikemedError } from "../../core/errors.js";
import { errorText } from "./dicom.js";

export interface CxrEntry {
  /** Absolute path of the image file. */
  path: string;
  /** The path as the manifest gives it, or relative to the input folder, with "/" separators. */
  file: string;
  /** Index into `CxrIndex.classes`. */
  label: number;
  patientId: string | null;
  source: string | null;
}

export interface CxrIndex {
  /** Absolute path of the folder or manifest that was read. */
  input: string;
  kind: "folder" | "manifest";
  /** Class names; label i is classes[i]. */
  classes: string[];
  entries: CxrEntry[];
}

export interface ListOptions {
  /** Class names in label order. Default: the names found, sorted (covid = 0, non_covid = 1). */
  classes?: string[];
}

export const MANIFEST_NAME = "manifest.csv";

/** Lists a class-folder tree or a manifest CSV (see the module comment). */
export function readCxrIndex(input: string, options: ListOptions = {}): CxrIndex {
  const absolute = resolve(input);
  const stats = statOrNull(absolute);
  if (!stats) throw new SpikemedError(`${input}: no such file or folder`, "pass a folder of class subfolders or a manifest CSV");
  if (stats.isDirectory()) {
    const manifest = join(absolute, MANIFEST_NAME);
    return statOrNull(manifest)?.isFile() ? readManifest(manifest, options) : readClassFolders(absolute, options);
  }
  return readManifest(absolute, options);
}

function readClassFolders(folder: string, options: ListOptions): CxrIndex {
  const found = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => d.name)
    .sort();
  if (found.length === 0) {
    throw new SpikemedError(`${folder}: no class subfolders (and no ${MANIFEST_NAME})`, "put the images of each class in its own subfolder, e.g. covid/ and non_covid/, or pass a manifest CSV");
  }
  const classes = options.classes ?? found;
  for (const name of classes) {
    if (!found.includes(name)) throw new SpikemedError(`${folder}: class folder "${name}" not found (found: ${found.join(", ")})`);
  }
  const entries: CxrEntry[] = [];
  classes.forEach((name, label) => {
    const files = listFilesRecursive(join(folder, name));
    if (files.length === 0) throw new SpikemedError(`${join(folder, name)}: class folder is empty`);
    for (const path of files) {
      entries.push({ path, file: relative(folder, path).split(sep).join("/"), label, patientId: null, source: null });
    }
  });
  return { input: folder, kind: "folder", classes: [...classes], entries };
}

function listFilesRecursive(folder: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(folder, { withFileTypes: true })
    .filter((d) => !d.name.startsWith("."))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of entries) {
    const path = join(folder, d.name);
    if (d.isDirectory()) out.push(...listFilesRecursive(path));
    else out.push(path);
  }
  return out;
}

function readManifest(manifest: string, options: ListOptions): CxrIndex {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(manifest), { columns: true, skip_empty_lines: true, bom: true, trim: true }) as Record<string, string>[];
  } catch (err) {
    throw new SpikemedError(`${manifest}: not a readable CSV manifest (${errorText(err)})`, "use a CSV with a header row and columns file,label (optional patient_id, source)");
  }
  if (rows.length === 0) throw new SpikemedError(`${manifest}: manifest has no rows`);
  for (const column of ["file", "label"]) {
    if (!(column in rows[0])) {
      throw new SpikemedError(`${manifest}: manifest has no "${column}" column (columns: ${Object.keys(rows[0]).join(", ")})`, "the manifest needs columns file,label (optional patient_id, source)");
    }
  }
  const base = dirname(manifest);
  const found = [...new Set(rows.map((r) => r.label))].filter((l) => l !== "").sort();
  const classes = options.classes ?? found;
  const labelOf = new Map(classes.map((name, i) => [name, i]));
  const seen = new Set<string>();
  const entries = rows.map((row, i): CxrEntry => {
    const line = i + 2; // header is line 1
    if (!row.file) throw new SpikemedError(`${manifest}: line ${line}: empty "file"`);
    const label = labelOf.get(row.label);
    if (label === undefined) {
      throw new SpikemedError(`${manifest}: line ${line}: label "${row.label}" is not one of the classes (${classes.join(", ")})`);
    }
    const path = isAbsolute(row.file) ? row.file : resolve(base, row.file);
    if (seen.has(path)) throw new SpikemedError(`${manifest}: line ${line}: file "${row.file}" is listed twice`);
    seen.add(path);
    return { path, file: row.file, label, patientId: row.patient_id || null, source: row.source || null };
  });
  return { input: manifest, kind: "manifest", classes: [...classes], entries };
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
