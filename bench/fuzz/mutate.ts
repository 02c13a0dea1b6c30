/**
 * Seeded mutations for the fuzz targets: raw bytes (flips, inserts, deletions, splices, interesting
 * integers), text tokens (numbers in headers and CSVs) and JSON trees (fields set to interesting
 * values, removed, duplicated, retyped, nested deep). Every choice draws from the Rng it is given,
 * so a (seed, case) pair always gives the same input.
 */
import type { Rng } from "../../src/core/random.js";

/** Numbers that break naive readers: zeros, signs, subnormals, overflow, integer edges, NaN. */
export const INTERESTING_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 2, 0.5, 1.5, -5, 0.0001, 1e-300, 1e-320, 5e-324, 1e308, -1e308, 1e9, 65535, 65536, 255, 256,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, NaN, Infinity, -Infinity,
];

/** The same numbers as a reader sees them in text, plus spellings that are not numbers at all. */
const INTERESTING_TOKENS: readonly string[] = [
  ...INTERESTING_NUMBERS.map(String), "1e999", "-1e999", "1e-320", "0x10", "", "-", "+", "1e", ".", "1..2", "16abc", "\u0000", "9".repeat(400),
];

const INTERESTING_INTS: readonly number[] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** One to four stacked byte-level mutations of `input` (never modified); `others` supplies splices. */
export function mutateBytes(input: Uint8Array, rng: Rng, others: readonly Uint8Array[] = []): Uint8Array {
  let bytes = input;
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) bytes = mutateBytesOnce(bytes, rng, others);
  return bytes;
}

function mutateBytesOnce(input: Uint8Array, rng: Rng, others: readonly Uint8Array[]): Uint8Array {
  const n = input.length;
  const at = (extra = 0) => rng.int(n + extra);
  const copy = () => input.slice();
  const op = rng.int(10);
  if (n === 0 && op < 8) return Uint8Array.of(rng.int(256));
  switch (op) {
    case 0: { // flip one bit
      const out = copy();
      out[at()] ^= 1 << rng.int(8);
      return out;
    }
    case 1: { // random bytes over a short run
      const out = copy();
      const start = at();
      for (let i = start, end = Math.min(n, start + 1 + rng.int(8)); i < end; i++) out[i] = rng.int(256);
      return out;
    }
    case 2: { // an interesting integer, 1, 2 or 4 bytes, either byte order
      const out = copy();
      const width = pick(rng, [1, 2, 4]);
      const value = pick(rng, INTERESTING_INTS);
      const start = at();
      const bigEndian = rng.int(2) === 1;
      for (let k = 0; k < width && start + k < n; k++) {
        const shift = 8 * (bigEndian ? width - 1 - k : k);
        out[start + k] = Math.floor(value / 2 ** shift) & 0xff;
      }
      return out;
    }
    case 3: { // insert random bytes
      const start = at(1);
      const inserted = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      return concat(input.subarray(0, start), inserted, input.subarray(start));
    }
    case 4: { // delete a range
      const start = at();
      const length = 1 + rng.int(Math.max(1, Math.min(64, n - start)));
      return concat(input.subarray(0, start), input.subarray(start + length));
    }
    case 5: { // duplicate a range in place
      const start = at();
      const piece = input.subarray(start, start + 1 + rng.int(32));
      return concat(input.subarray(0, start), piece, input.subarray(start));
    }
    case 6: { // truncate
      return input.slice(0, at());
    }
    case 7: { // splice: this input's head, another's tail
      const other = others.length > 0 ? pick(rng, others) : input;
      return concat(input.subarray(0, at()), other.subarray(rng.int(other.length + 1)));
    }
    case 8: { // swap two bytes
      const out = copy();
      if (n === 0) return out;
      const [i, j] = [at(), at()];
      [out[i], out[j]] = [out[j], out[i]];
      return out;
    }
    default: { // append junk
      return concat(input, Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)));
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const latin1 = new TextDecoder("latin1");

export function textBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/**
 * Token-level mutations of a text format (WFDB headers, CSV): a number or word replaced by an
 * interesting token, a token removed or repeated, a line repeated or removed; else bytes.
 */
export function mutateText(text: string, rng: Rng): string {
  const op = rng.int(6);
  if (op >= 4) return latin1.decode(mutateBytes(textBytes(text), rng));
  const lines = text.split("\n");
  const li = rng.int(lines.length);
  if (op === 3) {
    if (rng.int(2) === 0) lines.splice(li, 1);
    else lines.splice(li, 0, ...Array.from({ length: 1 + rng.int(3) }, () => lines[li]));
    return lines.join("\n");
  }
  const tokens = lines[li].split(/([\s,:()/+x#]+)/);
  const words = tokens.map((t, i) => [t, i] as const).filter(([t]) => t.length > 0 && !/^[\s,:()/+x#]+$/.test(t));
  if (words.length === 0) return latin1.decode(mutateBytes(textBytes(text), rng));
  const [, ti] = pick(rng, words);
  if (op === 0) tokens[ti] = pick(rng, INTERESTING_TOKENS);
  else if (op === 1) tokens[ti] = "";
  else tokens[ti] = tokens[ti].repeat(2 + rng.int(3));
  lines[li] = tokens.join("");
  return lines.join("\n");
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value JSON can hold, or one it cannot spell (NaN, Infinity) that mutateJsonText writes as text. */
function interestingValue(rng: Rng, old: Json): Json {
  switch (rng.int(8)) {
    case 0: return pick(rng, INTERESTING_NUMBERS);
    case 1: return typeof old === "number" ? String(old) : pick(rng, INTERESTING_NUMBERS);
    case 2: return pick(rng, [null, true, false, "", "x", [], {}]);
    case 3: return typeof old === "number" ? old * pick(rng, [-1, 2, 1000, 1e-6]) : pick(rng, INTERESTING_NUMBERS);
    case 4: return typeof old === "string" ? old + pick(rng, ["x", "/", "\u0000", "../"]) : old === null ? 0 : [old];
    case 5: return Array.isArray(old) ? [] : typeof old === "object" && old !== null ? [] : {};
    case 6: return pick(rng, INTERESTING_NUMBERS.filter(Number.isInteger));
    default: return "A".repeat(1 + rng.int(300));
  }
}

/** All (container, key) places in a JSON tree, depth first. */
function places(root: Json): Array<{ parent: Json[] | { [key: string]: Json }; key: string | number }> {
  const out: Array<{ parent: Json[] | { [key: string]: Json }; key: string | number }> = [];
  const visit = (node: Json) => {
    if (Array.isArray(node)) node.forEach((child, i) => { out.push({ parent: node, key: i }); visit(child); });
    else if (node !== null && typeof node === "object") for (const [k, child] of Object.entries(node)) { out.push({ parent: node, key: k }); visit(child); }
  };
  visit(root);
  return out;
}

/** Marks a value to be written nested `depth` arrays deep (jsonText writes it as text: JSON.stringify would run out of stack). */
const NESTED = "\u0002nested";

/** One to three structural mutations of a JSON value (a deep copy is changed, not `value`). */
export function mutateJson(value: unknown, rng: Rng): unknown {
  const root = structuredClone(value) as Json;
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const all = places(root);
    if (all.length === 0) break;
    const { parent, key } = pick(rng, all);
    const old = (parent as Record<string | number, Json>)[key];
    const op = rng.int(6);
    if (op <= 2) (parent as Record<string | number, Json>)[key] = interestingValue(rng, old);
    else if (op === 3) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (op === 4) {
      if (Array.isArray(parent)) parent.splice(key as number, 0, ...Array.from({ length: 1 + rng.int(3) }, () => structuredClone(old)));
      else parent[`${key}${pick(rng, ["", "x", "_"])}${rng.int(3)}`] = structuredClone(old);
    } else {
      // Deep nesting: stack depth is a resource a reader may exhaust. Last round only (the marker is not JSON data).
      (parent as Record<string | number, Json>)[key] = { [NESTED]: pick(rng, [2, 50, 5000]), value: old };
      break;
    }
  }
  return root;
}

/** JSON text of a value, writing non-finite numbers as a reader meets them in the wild (1e999 parses as Infinity; NaN does not parse). */
export function jsonText(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v !== null && typeof v === "object" && NESTED in v) {
      const { [NESTED]: depth, value: inner } = v as { [NESTED]: number; value: unknown };
      marks.push("[".repeat(depth) + jsonText(inner) + "]".repeat(depth));
      return `\u0001${marks.length - 1}\u0001`;
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
      marks.push(Number.isNaN(v) ? "NaN" : v > 0 ? "1e999" : "-1e999");
      return `\u0001${marks.length - 1}\u0001`;
    }
    return v;
  });
  return text === undefined ? "" : text.replace(/"\\u0001(\d+)\\u0001"/g, (_m, i: string) => marks[Number(i)]);
}

/** A JSON text's mutation: mostly structural (on the parsed tree), sometimes on the text itself. */
export function mutateJsonText(text: string, rng: Rng): string {
  if (rng.int(4) === 0) return mutateText(text, rng);
  return jsonText(mutateJson(JSON.parse(text), rng));
}
