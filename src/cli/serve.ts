import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Command } from "commander";
import { RESEARCH_NOTICE, SpikemedError } from "../core/index.js";
import { listRecords, sampleDataDir } from "../data/ecg/index.js";
import { loadRun, trainingHeaders } from "../experiment/index.js";
import { pageHtml } from "../web/page-html.js";
import { port } from "./options.js";
import { listImages, pageFiles, readServedFile, Refusal, type ServedFile } from "./serve-files.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
};

// The kernels share their memory, which a browser allows only on a cross-origin isolated page.
const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin",
};

const PAGE = pageHtml(RESEARCH_NOTICE);

export function serveCommand(): Command {
  return new Command("serve")
    .description("serve a web page that runs a trained run in the browser: pick a WFDB record (ECG runs) or chest X-ray images (X-ray runs), one of --data's or your own files, and see the classes, computed in the page")
    .argument("<run>", "a run folder written by spikemed train")
    .option("--data <dir>", "a folder the page offers inputs from: WFDB records for an ECG run (default: the embedded MIT-BIH sample), PNG, JPEG or DICOM images for an X-ray run (a training folder of class subfolders or a manifest.csv, or a folder of images; default: none); only the files of the inputs it lists are served")
    .option("--port <n>", "port to listen on (0: any free port)", port, 8080)
    .option("--host <address>", "address to listen on (127.0.0.1: this machine only, answering only requests addressed to it or to localhost; 0.0.0.0: every interface, answering any host name)", "127.0.0.1")
    .action(async (runDir: string, flags: { data?: string; port: number; host: string }) => {
      const { url } = await startServer(runDir, flags);
      process.stdout.write(`spikemed: open ${url} (Ctrl-C stops)\n`);
    });
}

export interface ServeOptions {
  data?: string;
  port?: number;
  host?: string;
  /** Where the one-line notes on refused or failed requests go (default: stderr). */
  log?: (line: string) => void;
  /** At most so many of those lines a second (default 20). */
  logLimit?: number;
}

/** Starts the page's server; resolves with its address once it listens. */
export async function startServer(runDir: string, options: ServeOptions): Promise<{ server: http.Server; url: string }> {
  const { manifest } = loadRun(runDir); // fails here, with the reason, rather than in the page
  const dataDir = options.data ?? (manifest.task === "ecg" ? sampleDataDir() : null);
  const inputs = dataDir === null ? [] : manifest.task === "ecg" ? listRecords(dataDir) : listImages(dataDir);
  const files = pageFiles(runDir, manifest.task, dataDir, inputs);
  // The page warns, as predict does, on a record the run was trained on (recordInTrainingHeaders).
  const trained = JSON.stringify(trainingHeaders(manifest.data));
  const log = new RefusalLog(options.log ?? ((line) => process.stderr.write(`${line}\n`)), options.logLimit);
  let hosts: Set<string> | null = new Set(); // none until the address is known
  // Node's own 400 for a missing Host would bypass the check below and its log line.
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    answer(req, res, hosts, files, JSON.stringify(inputs), trained)
      .catch((err: unknown) => {
        const status = err instanceof Refusal ? err.status : 500;
        log.refused(req, status, err instanceof Refusal ? err.message : `failed: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
        if (res.headersSent) res.destroy();
        else reply(res, status, `${status} ${http.STATUS_CODES[status]}\n`);
      })
      .catch(() => res.destroy()); // whatever happens, this request ends and the server goes on
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (err.code === "ECONNRESET" || !socket.writable) return socket.destroy();
    // What Node itself would answer: too long a head, too slow a client, anything else malformed.
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    log.refused("(unparsed request)", status, `malformed HTTP (${err.code ?? err.message})`);
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  });
  server.on("close", () => log.close());
  const host = options.host ?? "127.0.0.1";
  const portNumber = options.port ?? 8080;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(err, host, portNumber)));
    server.listen(portNumber, host, resolve);
  });
  // Once listening, an error is a connection not accepted (too many open files, say): without a
  // listener Node would end the process for it.
  server.on("error", (err: NodeJS.ErrnoException) => log.refused("(connection)", 503, `not accepted (${err.code ?? err.message})`));
  const address = server.address() as AddressInfo;
  hosts = allowedHosts(address);
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown === "0.0.0.0" || shown === "[::]" ? "127.0.0.1" : shown}:${address.port}/` };
}

/** One line naming the option to change, in place of Node's error. */
function listenError(err: NodeJS.ErrnoException, host: string, portNumber: number): SpikemedError {
  const code = err.code ?? err.message;
  if (code === "EADDRINUSE" || code === "EACCES") {
    return new SpikemedError(`serve: cannot listen on port ${portNumber} of ${host} (${code}): choose another --port, or --port 0 for any free one`);
  }
  return new SpikemedError(`serve: cannot listen on ${host} (${code}): pass an address of this machine as --host, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`);
}

/** Answers one request, or throws: a Refusal for what the page has no business asking. */
async function answer(req: http.IncomingMessage, res: http.ServerResponse, hosts: Set<string> | null, files: Map<string, ServedFile>, inputs: string, trained: string): Promise<void> {
  // First the Host: a page of another site whose name was rebound to this address learns nothing.
  const host = req.headers.host?.toLowerCase();
  if (hosts !== null && (host === undefined || !hosts.has(host))) throw new Refusal(421, `Host ${JSON.stringify(host ?? null)} is not this server's address or localhost`);
  if (req.method !== "GET" && req.method !== "HEAD") throw new Refusal(405, "only GET and HEAD");
  const urlPath = decodedPath(req.url ?? "");
  if (urlPath === "/") return reply(res, 200, PAGE, CONTENT_TYPES[".html"]);
  if (urlPath === "/data/inputs.json") return reply(res, 200, inputs, CONTENT_TYPES[".json"]);
  if (urlPath === "/data/training-headers.json") return reply(res, 200, trained, CONTENT_TYPES[".json"]);
  const served = files.get(urlPath);
  if (!served) throw new Refusal(404, "not one of the page's files");
  reply(res, 200, await readServedFile(served), CONTENT_TYPES[path.extname(served.file)] ?? "application/octet-stream");
}

function reply(res: http.ServerResponse, status: number, body: string | Uint8Array, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { ...ISOLATION, "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

/** The request target's path, percent-escapes decoded (so `%2F` is a `/` like any other). */
function decodedPath(target: string): string {
  const raw = target.split(/[?#]/, 1)[0];
  if (!raw.startsWith("/")) throw new Refusal(400, "the request target is not a path");
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new Refusal(400, "a malformed percent-escape");
  }
}

/**
 * The Host headers a request to this server may carry: its address or localhost, with the port.
 * Any, on every interface: there the user opened the server to whatever name reaches it.
 */
export function allowedHosts(address: AddressInfo): Set<string> | null {
  if (address.address === "0.0.0.0" || address.address === "::") return null;
  const names = [address.family === "IPv6" ? `[${address.address}]` : address.address, "localhost"];
  // A browser leaves out the scheme's default port.
  return new Set(names.flatMap((name) => (address.port === 80 ? [name, `${name}:80`] : [`${name}:${address.port}`])));
}

/**
 * One line per refused or failed request (method, path, status, why), at most `perSecond` lines a
 * second, then a count of those left out: a flood of bad requests cannot flood the terminal.
 */
export class RefusalLog {
  private windowStart = -Infinity;
  private written = 0;
  private leftOut = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (line: string) => void, private readonly perSecond = 20) {}

  /** `request`: the request, or what stands in for one that has no method and path. */
  refused(request: http.IncomingMessage | string, status: number, why: string): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.close();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.perSecond) {
      this.written++;
      this.write(`spikemed serve: ${typeof request === "string" ? request : `${request.method} ${printable(request.url ?? "")}`} ${status} ${why}`);
    } else if (this.leftOut++ === 0) {
      this.timer = setTimeout(() => this.close(), this.windowStart + 1000 - now).unref();
    }
  }

  /** Writes the count of lines left out, if any. */
  close(): void {
    clearTimeout(this.timer);
    if (this.leftOut > 0) this.write(`spikemed serve: ${this.leftOut} more refused request(s) not logged (at most ${this.perSecond} lines a second)`);
    this.leftOut = 0;
  }
}

/** A request target fit for one log line: printable ASCII, at most 200 characters. */
function printable(target: string): string {
  const safe = target.replace(/[^\x21-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return safe.length > 200 ? `${safe.slice(0, 200)}...` : safe;
}
