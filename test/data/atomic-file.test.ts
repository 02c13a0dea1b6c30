import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { SpikemedError } from "../../src/core/errors.js";
import { writeFileAtomic } from "../../src/data/atomic-file.js";

const root = mkdtempSync(join(tmpdir(), "spikemed-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder for one test. */
function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes(".tmp-"));

test("text, bytes and byte chunks land whole, replace the old file, and leave no temporary file", () => {
  const dir = folder("kinds");
  const file = join(dir, "out.bin");
  writeFileAtomic(file, "ünïcode ✓\n");
  assert.equal(readFileSync(file, "utf8"), "ünïcode ✓\n");
  writeFileAtomic(file, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...readFileSync(file)], [1, 2, 3]);
  // A view into a larger buffer writes only its own bytes.
  writeFileAtomic(file, [Uint8Array.of(4), new Uint8Array(Uint8Array.of(9, 5, 6, 9).buffer, 1, 2), new Uint8Array(0)]);
  assert.deepEqual([...readFileSync(file)], [4, 5, 6]);
  assert.deepEqual(readdirSync(dir), ["out.bin"]);
});

test("an error while writing leaves the old file whole and no temporary file, and names the file", () => {
  const dir = folder("mid-write");
  const file = join(dir, "keep.json");
  writeFileAtomic(file, "old");
  // The second chunk is not bytes: the write fails after the first chunk reached the temporary file.
  const broken = [Uint8Array.of(110, 101, 119), { length: 3 } as unknown as Uint8Array];
  assert.throws(() => writeFileAtomic(file, broken, { what: "the test file", hint: "try again" }),
    (e: unknown) => e instanceof SpikemedError && /^cannot write the test file: /.test(e.message) && /fix: try again/.test(e.message));
  assert.equal(readFileSync(file, "utf8"), "old");
  assert.deepEqual(temporaries(dir), []);
});

test("a failed rename leaves the old file whole and no temporary file", () => {
  const dir = folder("rename");
  // A non-empty folder at the target path makes the final rename fail, after the temporary file was written and flushed.
  const target = join(dir, "target");
  mkdirSync(join(target, "inside"), { recursive: true });
  assert.throws(() => writeFileAtomic(target, "new"), (e: unknown) => e instanceof SpikemedError && e.message.includes(`cannot write "${target}"`));
  assert.deepEqual(readdirSync(dir), ["target"]);
  assert.deepEqual(readdirSync(target), ["inside"]);
});

test("a missing folder is a named error, not a crash, and is not created", () => {
  const dir = folder("missing");
  const file = join(dir, "absent", "x.json");
  assert.throws(() => writeFileAtomic(file, "{}"), (e: unknown) => e instanceof SpikemedError && e.message.includes(file) && /ENOENT/.test(e.message));
  assert.deepEqual(readdirSync(dir), []);
});

test("a writer killed at any moment (SIGKILL) leaves the old file or a new one whole; the next write removes its leftovers", async () => {
  const dir = folder("killed");
  const file = join(dir, "big.bin");
  writeFileAtomic(file, "before any child");
  const child = fileURLToPath(new URL("./fixtures/atomic-writer.js", import.meta.url));
  const size = 1 << 22;
  for (const delayMs of [0, 2, 7, 13]) {
    const proc = spawn(process.execPath, [child, file], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => proc.stdout.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    proc.kill("SIGKILL");
    await new Promise((resolve) => proc.once("exit", resolve));
    const bytes = readFileSync(file);
    assert.equal(bytes.length, size, `after a kill ${delayMs} ms in: a whole file`);
    assert.ok(bytes.every((b) => b === bytes[0]), `after a kill ${delayMs} ms in: every byte from one generation`);
  }
  writeFileAtomic(file, "after");
  assert.equal(readFileSync(file, "utf8"), "after");
  assert.deepEqual(temporaries(dir), [], "the killed writers' temporary files are removed by the next write");
});

test("the next write removes only the temporary files of writers that are gone, not those of a writer still running", () => {
  const dir = folder("others");
  const file = join(dir, "shared.json");
  const gone = spawnSync(process.execPath, ["-e", ""]).pid;
  const running = process.ppid;
  writeFileSync(join(dir, `.shared.json.tmp-${gone}-0`), "half");
  writeFileSync(join(dir, `.shared.json.tmp-${running}-0`), "in progress");
  writeFileSync(join(dir, `.other.json.tmp-${gone}-0`), "another file's");
  writeFileAtomic(file, "{}");
  assert.deepEqual(readdirSync(dir).sort(), [`.other.json.tmp-${gone}-0`, `.shared.json.tmp-${running}-0`, "shared.json"].sort());
});
