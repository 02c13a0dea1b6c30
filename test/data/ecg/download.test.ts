import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { SpikemedError } from "../../../src/core/errors.js";
import { downloadRecords } from "../../../src/data/ecg/download.js";
import { sampleDataDir } from "../../../src/data/ecg/sample-data.js";
import { readRecord } from "../../../src/data/ecg/wfdb-record.js";

// A loopback server with PhysioNet's layout: /files/<database>/<version>/<file>.
let server: Server;
let baseUrl = "";
const requested: string[] = [];
const dest = mkdtempSync(join(tmpdir(), "spikemed-download-"));

before(async () => {
  server = createServer((request, response) => {
    requested.push(request.url ?? "");
    const match = /^\/files\/mitdb\/1\.0\.0\/([\w.]+)$/.exec(request.url ?? "");
    const path = match ? join(sampleDataDir(), match[1]) : "";
    if (!match || !existsSync(path)) {
      response.writeHead(404).end("not found");
      return;
    }
    response.writeHead(200).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  baseUrl = `http://127.0.0.1:${address.port}/files`;
});
after(() => {
  server.close();
  rmSync(dest, { recursive: true, force: true });
});

test("downloads a record (header, signal file, annotations) and it verifies", async () => {
  const saved = await downloadRecords({ destDir: dest, records: ["100"], baseUrl });
  assert.deepEqual(saved, ["100"]);
  for (const ext of ["hea", "dat", "atr"]) {
    assert.deepEqual(readFileSync(join(dest, `100.${ext}`)), readFileSync(join(sampleDataDir(), `100.${ext}`)));
  }
  assert.ok(requested.includes("/files/mitdb/1.0.0/100.dat"));
  assert.equal(readRecord(dest, "100").annotations!.code.length > 2000, true);
});

test("without a record list, it follows the RECORDS file", async () => {
  const all = mkdtempSync(join(tmpdir(), "spikemed-download-all-"));
  try {
    const saved = await downloadRecords({ destDir: all, baseUrl, annotators: [] });
    assert.deepEqual(saved, ["100", "208", "209", "213", "232"]);
    assert.ok(existsSync(join(all, "232.dat")) && !existsSync(join(all, "232.atr")));
  } finally {
    rmSync(all, { recursive: true, force: true });
  }
});

test("a missing record is a clear error naming the URL", async () => {
  await assert.rejects(
    downloadRecords({ destDir: dest, records: ["101"], baseUrl }),
    (e: unknown) => e instanceof SpikemedError && /cannot download .*\/mitdb\/1\.0\.0\/101\.hea: HTTP 404/.test(e.message),
  );
});
