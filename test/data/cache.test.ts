import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { codeFingerprint } from "../../src/data/cache.js";

test("the code fingerprint, part of every cache key, changes with any module's code", () => {
  const dir = mkdtempSync(join(tmpdir(), "spikemed-fingerprint-"));
  try {
    writeFileSync(join(dir, "beats.js"), "export const a = 1;");
    writeFileSync(join(dir, "notes.txt"), "not code");
    const first = codeFingerprint(dir);
    assert.equal(codeFingerprint(dir), first);
    writeFileSync(join(dir, "notes.txt"), "other text");
    assert.equal(codeFingerprint(dir), first, "only code counts");
    writeFileSync(join(dir, "beats.js"), "export const a = 2;");
    const changed = codeFingerprint(dir);
    assert.notEqual(changed, first);
    writeFileSync(join(dir, "shape.js"), "");
    assert.notEqual(codeFingerprint(dir), changed, "a new module counts");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
