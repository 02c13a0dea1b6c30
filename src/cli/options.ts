import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_MAX_IMAGE_PIXELS } from "../data/cxr/pixels.js";
import { readNumber, type NumberBounds } from "../experiment/numbers.js";

export interface NumberRule extends NumberBounds {
  /** What is expected, in words, for the error: "a positive integer". */
  expected: string;
}

/** A commander parser for numbers the rule allows; others are refused as `expected ${rule.expected}, got "text"`. */
export function numberOption(rule: NumberRule): (value: string) => number {
  return (value: string) => {
    const n = readNumber(value, rule);
    if (n === null) throw new InvalidArgumentError(`expected ${rule.expected}, got "${value}"`);
    return n;
  };
}

/** Commander parsers that reject bad values with a message naming the expected form. */
export const positiveInt = numberOption({ whole: true, min: 1, expected: "a positive integer" });
export const nonNegativeInt = numberOption({ whole: true, min: 0, expected: "a whole number >= 0" });
export const positiveNumber = numberOption({ min: 0, minIncluded: false, expected: "a positive number" });
export const nonNegativeNumber = numberOption({ min: 0, expected: "a number >= 0" });
/** A TCP port, 0 meaning any free one. */
export const port = numberOption({ whole: true, min: 0, max: 65535, expected: "a port from 1 to 65535, or 0 for any free one" });
/** A share: at least 0 and under 1. */
export const fraction = numberOption({ min: 0, max: 1, maxIncluded: false, expected: "a number from 0 up to (not including) 1" });

/** "before,after": two non-negative numbers of seconds. */
export const seconds = (value: string): number[] => {
  const parts = value.split(",").map((s) => readNumber(s.trim(), { min: 0 }));
  if (parts.length !== 2 || parts.some((n) => n === null)) {
    throw new InvalidArgumentError(`expected two numbers of seconds "before,after" (e.g. 0.25,0.46), got "${value}"`);
  }
  return parts as number[];
};

/**
 * A commander parser from a checking function of src/experiment: its error becomes commander's,
 * which names the option.
 */
export function optionParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value: string) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export const list = (value: string): string[] => value.split(",").map((s) => s.trim()).filter(Boolean);

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!choices.includes(value as T)) throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got "${value}"`);
    return value as T;
  };
}

/** The option that raises (or lowers) the decoded-pixel limit of X-ray images, for every command that reads them. */
export function maxImagePixelsOption(command: Command): Command {
  return command.option("--max-image-pixels <n>", `cxr: refuse images of more pixels than this before decoding them (default ${DEFAULT_MAX_IMAGE_PIXELS.toLocaleString("en-US")})`, positiveInt);
}

/**
 * The --queue option of the commands that can hand their trainings to `spikemed worker`s. Its URL
 * is checked by the command (checkQueueUrl), not here: commander's errors repeat the value, password and all.
 */
export function queueOption(command: Command, what: string): Command {
  return command.option("--queue <url>", `${what} as jobs on the BullMQ queue on this Redis (redis://HOST:PORT, redis://:PASSWORD@HOST:PORT, rediss://... for TLS; ` +
    "the password is never shown) for `spikemed worker`s to train, instead of training here; the same results as without it (docs/training.md)");
}
