/**
 * A small SVG writer: just what the report plots need (axes with nice ticks, lines, bars,
 * text, legends). Output is deterministic and plain SVG 1.1 with no scripts or external
 * references, so the files open in any browser and in GitHub's Markdown view.
 */

export type Attrs = Record<string, string | number | undefined>;

/** Okabe-Ito colours: distinguishable under the common colour-vision deficiencies. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

export const FONT_SIZE = 12;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Coordinates to at most 2 decimals: smaller files, same picture. */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? "0" : String(rounded);
}

/** Rough width of a text in a sans-serif font; there is no font metrics engine in Node. */
export function textWidth(text: string, fontSize = FONT_SIZE): number {
  return text.length * fontSize * 0.6;
}

function attrString(attrs: Attrs): string {
  let out = "";
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${key}="${typeof value === "number" ? num(value) : escapeXml(value)}"`;
  }
  return out;
}

export class SvgBuilder {
  private readonly parts: string[] = [];

  constructor(readonly width: number, readonly height: number, title: string) {
    this.parts.push(
      `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${num(width)}" height="${num(height)}" ` +
        `viewBox="0 0 ${num(width)} ${num(height)}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}">`,
      `<title>${escapeXml(title)}</title>`,
      `<rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
    );
  }

  element(name: string, attrs: Attrs, tooltip?: string): void {
    if (tooltip === undefined) this.parts.push(`<${name}${attrString(attrs)}/>`);
    else this.parts.push(`<${name}${attrString(attrs)}><title>${escapeXml(tooltip)}</title></${name}>`);
  }

  rect(x: number, y: number, width: number, height: number, attrs: Attrs = {}, tooltip?: string): void {
    this.element("rect", { x, y, width, height, ...attrs }, tooltip);
  }

  line(x1: number, y1: number, x2: number, y2: number, attrs: Attrs = {}): void {
    this.element("line", { x1, y1, x2, y2, stroke: "#000000", ...attrs });
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, attrs: Attrs = {}): void {
    let points = "";
    for (let i = 0; i < xs.length; i++) points += `${i ? " " : ""}${num(xs[i])},${num(ys[i])}`;
    this.element("polyline", { points, fill: "none", ...attrs });
  }

  circle(cx: number, cy: number, r: number, attrs: Attrs = {}, tooltip?: string): void {
    this.element("circle", { cx, cy, r, ...attrs }, tooltip);
  }

  text(x: number, y: number, content: string, attrs: Attrs = {}): void {
    this.parts.push(`<text${attrString({ x, y, ...attrs })}>${escapeXml(content)}</text>`);
  }

  toString(): string {
    return this.parts.join("\n") + "\n</svg>\n";
  }
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A mapping from data values to pixels, with the tick values to label. */
export interface Scale {
  readonly min: number;
  readonly max: number;
  readonly ticks: number[];
  readonly log: boolean;
  /** 0 at `min`, 1 at `max`. */
  fraction(value: number): number;
  format(value: number): string;
}

/** Linear scale on [min, max] widened to "nice" round ticks (1, 2 or 5 times a power of ten). */
export function linearScale(dataMin: number, dataMax: number, targetTicks = 5, nice = true): Scale {
  let lo = dataMin;
  let hi = dataMax;
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / targetTicks);
  if (nice) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let i = first; i <= last; i++) ticks.push(cleanFloat(i * step));
  const min = lo;
  const max = hi;
  return {
    min,
    max,
    ticks,
    log: false,
    fraction: (value) => (value - min) / (max - min),
    format: (value) => formatTick(value, step),
  };
}

/**
 * Log10 scale from the power of ten strictly below the smallest value (so its bar stays visible)
 * to the one at or above the largest.
 */
export function logScale(dataMin: number, dataMax: number): Scale {
  const lowExp = Math.ceil(Math.log10(dataMin) - 1e-9) - 1;
  let highExp = Math.ceil(Math.log10(dataMax) - 1e-9);
  if (highExp === lowExp) highExp++;
  const ticks: number[] = [];
  for (let e = lowExp; e <= highExp; e++) ticks.push(Number(`1e${e}`));
  // One notation for all ticks: 0.001 next to 1e-4 reads badly.
  const exponentNotation = lowExp < -3 || highExp >= 5;
  return {
    min: ticks[0],
    max: ticks[ticks.length - 1],
    ticks,
    log: true,
    fraction: (value) => (Math.log10(value) - lowExp) / (highExp - lowExp),
    format: (value) => (exponentNotation ? `1e${Math.round(Math.log10(value))}` : String(value)),
  };
}

function niceStep(rough: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const mantissa = rough / power;
  const nice = mantissa < 1.5 ? 1 : mantissa < 3 ? 2 : mantissa < 7 ? 5 : 10;
  return nice * power;
}

/** Removes binary noise such as 0.30000000000000004 from tick values. */
function cleanFloat(value: number): number {
  return Number(value.toPrecision(12));
}

function formatTick(value: number, step: number): string {
  const magnitude = Math.max(Math.abs(value), step);
  if (magnitude >= 1e5 || (magnitude < 1e-3 && value !== 0)) return formatCompact(value);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

/** Three significant digits, exponent notation for very large or small magnitudes. */
export function formatCompact(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(2).split("e");
    return `${stripZeros(mantissa)}e${exponent.replace("+", "")}`;
  }
  return stripZeros(value.toPrecision(3));
}

function stripZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** Draws the frame, grid lines, tick labels and axis titles of a plot area. */
export function drawAxes(
  svg: SvgBuilder,
  area: Rect,
  x: { scale?: Scale; label: string },
  y: { scale: Scale; label: string },
): void {
  const yPixel = (v: number) => area.y + area.height * (1 - y.scale.fraction(v));
  for (const tick of y.scale.ticks) {
    const py = yPixel(tick);
    svg.line(area.x, py, area.x + area.width, py, { stroke: "#e0e0e0" });
    svg.text(area.x - 6, py + 4, y.scale.format(tick), { "text-anchor": "end" });
  }
  if (x.scale) {
    const xScale = x.scale;
    for (const tick of xScale.ticks) {
      const px = area.x + area.width * xScale.fraction(tick);
      svg.line(px, area.y, px, area.y + area.height, { stroke: "#e0e0e0" });
      svg.text(px, area.y + area.height + 16, xScale.format(tick), { "text-anchor": "middle" });
    }
    svg.text(area.x + area.width / 2, area.y + area.height + 34, x.label, { "text-anchor": "middle" });
  }
  svg.rect(area.x, area.y, area.width, area.height, { fill: "none", stroke: "#333333" });
  const labelX = area.x - 14 - maxTickWidth(y.scale);
  const labelY = area.y + area.height / 2;
  svg.text(labelX, labelY, y.label, { "text-anchor": "middle", transform: `rotate(-90 ${num(labelX)} ${num(labelY)})` });
}

export function maxTickWidth(scale: Scale): number {
  return Math.max(...scale.ticks.map((t) => textWidth(scale.format(t))));
}

export interface LegendEntry {
  name: string;
  color: string;
  dashed?: boolean;
  /** Filled square (bars, cells) instead of a line sample. */
  swatch?: boolean;
}

export const LEGEND_ROW = 18;

export function legendWidth(entries: LegendEntry[]): number {
  return 34 + Math.max(...entries.map((e) => textWidth(e.name)));
}

/** A vertical legend with its top-left corner at (x, y), on a white box so it can overlap a plot. */
export function drawLegend(svg: SvgBuilder, x: number, y: number, entries: LegendEntry[]): void {
  svg.rect(x, y, legendWidth(entries), entries.length * LEGEND_ROW + 6, {
    fill: "#ffffff",
    "fill-opacity": 0.85,
    stroke: "#cccccc",
  });
  entries.forEach((entry, i) => {
    const cy = y + 12 + i * LEGEND_ROW;
    if (entry.swatch) svg.rect(x + 6, cy - 6, 14, 12, { fill: entry.color });
    else
      svg.line(x + 4, cy, x + 22, cy, {
        stroke: entry.color,
        "stroke-width": 2.5,
        "stroke-dasharray": entry.dashed ? "5 3" : undefined,
      });
    svg.text(x + 28, cy + 4, entry.name);
  });
}
