import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** Headless Chromium for the browser tests, if this machine has it. */
export const browser = [process.env.SPIKEMED_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
  .find((candidate) => candidate && existsSync(candidate) && spawnSync(candidate, ["--version"]).status === 0);

/** The tests' skip reason without it. */
export const browserMissing = browser ? false : "needs Chromium (apt-get install -y chromium, or SPIKEMED_CHROMIUM=path)";

export const HEADLESS_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"];

/**
 * A page in headless Chromium, driven over the DevTools protocol on a pipe (no port, no extra
 * package): open it, evaluate expressions in it, close it.
 */
export class HeadlessPage {
  private nextId = 1;
  private buffered = "";
  /** Requests the browser holds for `open`'s `hold` pattern, until `release`. */
  private readonly held: string[] = [];
  private readonly pending = new Map<number, { done: (result: Record<string, unknown>) => void; fail: (err: Error) => void }>();

  /** Settles when the browser exits, with its exit code. */
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess, private readonly profile: string, private sessionId = "") {
    this.exited = new Promise((done) => child.once("exit", done));
    const fromBrowser = child.stdio[4] as Readable;
    fromBrowser.on("data", (chunk: Buffer) => {
      this.buffered += chunk.toString("utf8");
      let end: number;
      while ((end = this.buffered.indexOf("\0")) >= 0) {
        const message = JSON.parse(this.buffered.slice(0, end)) as
          { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: { requestId: string } };
        this.buffered = this.buffered.slice(end + 1);
        if (message.method === "Fetch.requestPaused") this.held.push(message.params!.requestId);
        const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
        if (!waiter) continue;
        this.pending.delete(message.id!);
        if (message.error) waiter.fail(new Error(message.error.message));
        else waiter.done(message.result ?? {});
      }
    });
    child.on("exit", () => {
      for (const waiter of this.pending.values()) waiter.fail(new Error("chromium exited"));
      this.pending.clear();
    });
  }

  /**
   * Opens `url`. With `hold` (a DevTools URL pattern such as "*inputs.json"), the page's requests
   * that match it wait until `release()`, so a test can act while the page is still loading them.
   */
  static async open(url: string, options: { hold?: string } = {}): Promise<HeadlessPage> {
    const profile = mkdtempSync(join(tmpdir(), "spikemed-chromium-"));
    const child = spawn(browser as string, [...HEADLESS_FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-pipe", "about:blank"],
      { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"], detached: true });
    const page = new HeadlessPage(child, profile);
    const { targetInfos } = await page.send("Target.getTargets") as { targetInfos: { targetId: string; type: string }[] };
    const target = targetInfos.find((t) => t.type === "page");
    if (!target) throw new Error("chromium opened no page");
    page.sessionId = (await page.send("Target.attachToTarget", { targetId: target.targetId, flatten: true })).sessionId as string;
    if (options.hold) await page.send("Fetch.enable", { patterns: [{ urlPattern: options.hold }] });
    await page.send("Page.navigate", { url });
    return page;
  }

  /** Waits until the page has asked for a request that `open`'s `hold` pattern holds. */
  async waitForHeld(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.held.length === 0) {
      if (Date.now() > deadline) throw new Error(`the page asked for no held request within ${timeoutMs / 1000} s`);
      await new Promise((next) => setTimeout(next, 100));
    }
  }

  /** Lets the held requests go on, and holds no more. */
  async release(): Promise<void> {
    for (const requestId of this.held.splice(0)) await this.send("Fetch.continueRequest", { requestId });
    await this.send("Fetch.disable");
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(this.sessionId ? { sessionId: this.sessionId } : {}) });
    return new Promise((done, fail) => {
      this.pending.set(id, { done, fail });
      (this.child.stdio[3] as Writable).write(message + "\0");
    });
  }

  /** The value of a JavaScript expression in the page. */
  async evaluate(expression: string): Promise<unknown> {
    const { result, exceptionDetails } = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }) as
      { result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /** Waits until spikemed's page has its run and its controls (`data-ready`); throws its error if it failed instead. */
  async waitForReady(timeoutMs = 60_000): Promise<void> {
    const state = await this.waitFor("document.body?.dataset.ready ?? document.body?.dataset.error", timeoutMs);
    if (state !== "true") throw new Error(`the page failed: ${state}`);
  }

  /** Picks `files` (paths on this machine) in the page's file input `selector`, as a user would: its change event fires. */
  async pickFiles(selector: string, files: string[]): Promise<void> {
    const { root } = await this.send("DOM.getDocument") as { root: { nodeId: number } };
    const { nodeId } = await this.send("DOM.querySelector", { nodeId: root.nodeId, selector }) as { nodeId: number };
    if (!nodeId) throw new Error(`the page has no ${selector}`);
    await this.send("DOM.setFileInputFiles", { nodeId, files });
  }

  /** Evaluates `expression` every 100 ms until it is neither null nor undefined. */
  async waitFor(expression: string, timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let value: unknown = null;
      try {
        value = await this.evaluate(expression);
      } catch (err) {
        // Until the page has loaded it has no context to evaluate in.
        if (!/execution context/.test((err as Error).message)) throw err;
      }
      if (value !== null && value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`the page never gave ${expression} within ${timeoutMs / 1000} s`);
      await new Promise((next) => setTimeout(next, 100));
    }
  }

  /** Stops the browser with its helper processes (one process group), then removes its profile. */
  async close(): Promise<void> {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    await this.exited;
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}
