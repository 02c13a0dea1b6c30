/** A plain decimal number as people type it: no hexadecimal (0x10), no blanks, no Infinity. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Which numbers a setting allows. */
export interface NumberBounds {
  /** Whole numbers only (written without a fraction or exponent). */
  whole?: boolean;
  /** Smallest value allowed, and whether it is allowed itself (default true). */
  min?: number;
  minIncluded?: boolean;
  /** Largest value allowed, and whether it is allowed itself (default true). */
  max?: number;
  maxIncluded?: boolean;
}

/** The number `text` is when it is one the bounds allow, else null: the one check every numeric option and setting goes through. */
export function readNumber(text: string, rule: NumberBounds): number | null {
  const n = Number(text);
  if (!(rule.whole ? /^[-+]?\d+$/.test(text) && Number.isSafeInteger(n) : DECIMAL.test(text) && Number.isFinite(n))) return null;
  if (rule.min !== undefined && (rule.minIncluded === false ? n <= rule.min : n < rule.min)) return null;
  if (rule.max !== undefined && (rule.maxIncluded === false ? n >= rule.max : n > rule.max)) return null;
  return n;
}
