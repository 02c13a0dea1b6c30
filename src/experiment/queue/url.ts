import { SpikemedError } from "../../core/index.js";

/**
 * The queue URL as it may be shown: the password (redis://:PASSWORD@host) replaced by ***. Every
 * message that names a queue names it this way; the URL itself is never written anywhere.
 */
export function redactQueueUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(an unreadable queue URL)";
  }
}

/** A redis:// or rediss:// (TLS) URL, checked; anything else is refused with the form expected. */
export function checkQueueUrl(url: string): string {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new SpikemedError(`--queue ${redactQueueUrl(url)}: not a URL`, "write redis://HOST:PORT (or redis://:PASSWORD@HOST:PORT, rediss:// for TLS)");
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new SpikemedError(`--queue: expected a redis:// or rediss:// URL, got one of ${protocol}`, "write redis://HOST:PORT (or rediss://HOST:PORT for TLS)");
  }
  return url;
}
