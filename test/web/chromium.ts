import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** Headless Chromium for the browser tests, if this machine has it. */
export const browser = [process.env.SPIKEMED_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
  .find((candidate) => candidate && existsSync(candidate) && spawnSync(candidate, ["--version"]).status === 0);

/** The tests' skip reason without it. */
export const browserMissing = browser ? false : "needs Chromium (apt-get install -y chromium, or SPIKEMED_CHROMIUM=path)";

export const HEADLESS_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"];
