import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { SpikemedError } from "../core/index.js";
import { MANIFEST_NAME, readCxrIndex } from "../data/cxr/index.js";
import { listRecords, sampleDataDir } from "../data/ecg/index.js";
import { loadRun } from "../experiment/index.js";
import { nonNegativeInt } from "./options.js";

const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
};

// The kernels share their memory, which a browser allows only on a cross-origin isolated page.
const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin",
};

// The page's logic is src/web/page.ts; everything it computes, it computes in the browser.
const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>spikemed</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; }
  table { border-collapse: collapse; margin: 0.5em 0; }
  td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
  tr.abnormal td { background: #fdecea; }
  #status { color: #555; }
</style>
<h1 id="heading">spikemed</h1>
<p id="run">Loading the run...</p>
<p><label><span id="input-label"></span> <select id="inputs"></select></label> <button id="classify" disabled>Classify</button></p>
<p><label><span id="files-label"></span> <input type="file" id="files" multiple></label></p>
<p id="status"></p>
<div id="result"></div>
<script type="module" src="/dist/src/web/page.js"></script>
`;

export function serveCommand(): Command {
  return new Command("serve")
    .description("serve a web page that runs a trained run in the browser: pick a WFDB record (ECG runs) or chest X-ray images (X-ray runs), one of --data's or your own files, and see the classes, computed in the page")
    .argument("<run>", "a run folder written by spikemed train")
    .option("--data <dir>", "a folder the page offers inputs from: WFDB records for an ECG run (default: the embedded MIT-BIH sample), PNG or JPEG images for an X-ray run (a training folder of class subfolders or a manifest.csv, or a folder of images; default: none)")
    .option("--port <n>", "port to listen on (0: any free port)", nonNegativeInt, 8080)
    .option("--host <address>", "address to listen on (0.0.0.0: every interface)", "127.0.0.1")
    .action(async (runDir: string, flags: { data?: string; port: number; host: string }) => {
      const { url } = await startServer(runDir, flags);
      process.stdout.write(`spikemed: open ${url} (Ctrl-C stops)\n`);
    });
}

/** Starts the page's server; resolves with its address once it listens. */
export async function startServer(runDir: string, options: { data?: string; port?: number; host?: string }): Promise<{ server: http.Server; url: string }> {
  const { manifest } = loadRun(runDir); // fails here, with the reason, rather than in the page
  const dataDir = options.data ?? (manifest.task === "ecg" ? sampleDataDir() : null);
  const inputs = dataDir === null ? [] : manifest.task === "ecg" ? listRecords(dataDir) : listImages(dataDir);
  const files: Record<string, string> = {
    "/run/run.json": path.join(runDir, "run.json"),
    "/run/model.ckpt": path.join(runDir, "model.ckpt"),
    "/build/kernels.wasm": path.join(packageRoot, "build/kernels.wasm"),
  };
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    const reply = (status: number, body: string | Uint8Array, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { ...ISOLATION, "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "only GET\n");
    if (pathname === "/") return reply(200, PAGE, CONTENT_TYPES[".html"]);
    if (pathname === "/data/inputs.json") return reply(200, JSON.stringify(inputs), CONTENT_TYPES[".json"]);
    const file = files[pathname] ?? servedFile(pathname, dataDir);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) return reply(404, `${pathname}: not here\n`);
    reply(200, fs.readFileSync(file), CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(new SpikemedError(`serve: cannot listen on ${options.host ?? "127.0.0.1"}:${options.port ?? 8080} (${err.code ?? err.message})`,
      "choose another --port, or 0 for any free one")));
    server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { server, url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}/` };
}

/**
 * The PNG and JPEG images an X-ray run's page offers: those of a training folder (class subfolders
 * or a manifest.csv, as `spikemed train cxr --data` reads it), else the files directly in `dir`;
 * paths relative to `dir`.
 */
function listImages(dir: string): string[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new SpikemedError(`--data ${dir}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "pass a folder of PNG or JPEG images");
  }
  const trainingFolder = names.some((entry) => entry.name === MANIFEST_NAME || (entry.isDirectory() && !entry.name.startsWith(".")));
  const files = trainingFolder ? readCxrIndex(dir).entries.map((entry) => entry.file) : names.filter((entry) => entry.isFile()).map((entry) => entry.name);
  return files.filter((name) => /\.(png|jpe?g)$/i.test(name)).sort();
}

/** The compiled modules under /dist/src/ and the inputs' files under /data/, nothing else. */
function servedFile(pathname: string, dataDir: string | null): string | null {
  const inside = (root: string, relative: string) => {
    const file = path.resolve(root, relative);
    return file.startsWith(path.resolve(root) + path.sep) ? file : null;
  };
  if (pathname.startsWith("/dist/src/") && pathname.endsWith(".js")) return inside(path.join(packageRoot, "dist/src"), decodeURIComponent(pathname.slice("/dist/src/".length)));
  if (dataDir !== null && pathname.startsWith("/data/") && !pathname.slice(6).includes("/")) return inside(dataDir, decodeURIComponent(pathname.slice(6)));
  return null;
}
