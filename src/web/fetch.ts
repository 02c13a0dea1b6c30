// Bytes over HTTP for the browser entry and the served page, with errors that name the URL.
import { SpikemedError } from "../core/errors.js";

/** `url` against the page's (or Worker's) own address, so relative paths work as in fetch(). */
export function absoluteUrl(url: string | URL): URL {
  return new URL(url, (globalThis as { location?: { href: string } }).location?.href);
}

export async function fetchBytes(url: string, fix?: string): Promise<Uint8Array>;
export async function fetchBytes(url: string, fix: string, optional: true): Promise<Uint8Array | null>;
export async function fetchBytes(url: string, fix = "pass the URL of a folder written by `spikemed train` (its --out), served over HTTP", optional = false): Promise<Uint8Array | null> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new SpikemedError(`${url}: could not be fetched (${(err as Error).message})`, fix);
  }
  if (optional && response.status === 404) return null;
  if (!response.ok) throw new SpikemedError(`${url}: HTTP ${response.status} ${response.statusText}`.trim(), fix);
  return new Uint8Array(await response.arrayBuffer());
}
