import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

/** Whether Debian's redis-server is installed (.ci/run installs it). */
export const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;

/** A Redis of a test's or benchmark's own: on a free loopback port (never the machine's 6379), with a password, saving to `dir`. */
export interface RedisServer {
  port: number;
  /** redis://:PASSWORD@127.0.0.1:PORT */
  url: string;
  password: string;
  /** Stops it (SIGTERM: its append-only file is complete) and waits for it. */
  stop: () => Promise<void>;
  /** Starts it again on the same port and folder: the queue it held is there again. */
  restart: () => Promise<void>;
}

export async function startRedisServer(dir: string, password: string): Promise<RedisServer> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  let server: ChildProcess;
  const launch = async (): Promise<void> => {
    server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", password, "--dir", dir,
      "--save", "", "--appendonly", "yes", "--appendfsync", "always"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 30_000);
      server.stdout!.on("data", (d: Buffer) => {
        output += d.toString();
        if (/Ready to accept connections/.test(output)) { clearTimeout(timer); resolve(); }
      });
      server.on("exit", (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}):\n${output}`)); });
    });
    server.removeAllListeners("exit");
    server.stdout!.resume();
    server.unref();
  };
  const stop = async (): Promise<void> => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const stopped = new Promise((resolve) => server.on("exit", resolve));
    // Held again until it has exited, so that a script awaiting this does not end first.
    server.ref();
    server.kill("SIGTERM");
    await stopped;
  };
  await launch();
  return { port, url: `redis://:${password}@127.0.0.1:${port}`, password, stop, restart: launch };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** A process whose output (stdout and stderr together) is kept; it is in `live` until it exits. */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, live: Set<ChildProcess>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let text = "";
  child.stdout!.on("data", (d: Buffer) => { text += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => { live.delete(child); resolve(code); }));
  return { child, output: () => text, exited };
}
