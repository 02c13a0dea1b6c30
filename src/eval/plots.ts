/**
 * Report plots as standalone SVG strings: grouped bar charts (energy tables), line charts
 * (learning curves, firing rates), ROC curves and a confusion-matrix heatmap.
 * Every function validates its input and throws a SpikemedError naming the chart and the problem.
 */
import { SpikemedError } from "../core/errors.js";
import {
  PALETTE,
  SvgBuilder,
  drawAxes,
  drawLegend,
  formatCompact,
  legendWidth,
  linearScale,
  logScale,
  maxTickWidth,
  num,
  textWidth,
  LEGEND_ROW,
  type LegendEntry,
  type Rect,
  type Scale,
} from "./svg.js";

const TITLE_HEIGHT = 34;

function drawTitle(svg: SvgBuilder, title: string): void {
  svg.text(svg.width / 2, 22, title, { "text-anchor": "middle", "font-size": 15, "font-weight": "bold" });
}

function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

// ---------------------------------------------------------------------------------------------
// Bar chart

export interface BarChartOptions {
  title: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  yLabel: string;
  logScale?: boolean;
}

/**
 * Grouped bar chart: one group per category, one coloured bar per series, a legend when there
 * is more than one series. With `logScale` the y axis is log10 (all values must be > 0).
 */
export function barChartSvg(opts: BarChartOptions): string {
  const { title, categories, series, yLabel } = opts;
  const useLog = opts.logScale === true;
  const where = `bar chart "${title}"`;
  if (categories.length === 0) throw new SpikemedError(`${where}: no categories to plot`);
  if (series.length === 0) throw new SpikemedError(`${where}: no series to plot`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    if (s.values.length !== categories.length)
      throw new SpikemedError(
        `${where}: series "${s.name}" has ${s.values.length} values for ${categories.length} categories`,
      );
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v))
        throw new SpikemedError(`${where}: series "${s.name}", category "${categories[i]}" is ${v}, not a finite number`);
      if (useLog && v <= 0)
        throw new SpikemedError(
          `${where}: series "${s.name}", category "${categories[i]}" is ${v}; a log scale needs values > 0`,
          "plot it with logScale: false",
        );
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    });
  }
  const scale = useLog ? logScale(lo, hi) : linearScale(Math.min(0, lo), Math.max(0, hi));

  const barWidth = series.length === 1 ? 44 : series.length <= 3 ? 26 : 18;
  const groupWidth = series.length * barWidth + 24;
  const plotWidth = Math.max(320, categories.length * groupWidth);
  const plotHeight = 260;
  const longestCategory = Math.max(...categories.map((c) => textWidth(c)));
  const rotateLabels = longestCategory > groupWidth - 6;
  const labelDepth = rotateLabels ? longestCategory * Math.sin(Math.PI / 6) + 16 : 20;
  const entries: LegendEntry[] = series.map((s, i) => ({ name: s.name, color: colorOf(i), swatch: true }));
  const legendSpace = series.length > 1 ? legendWidth(entries) + 16 : 0;
  const left = maxTickWidth(scale) + 40;
  const area: Rect = { x: left, y: TITLE_HEIGHT + 10, width: plotWidth, height: plotHeight };
  const width = Math.max(left + plotWidth + legendSpace + 16, textWidth(title, 15) + 20);
  const height = area.y + plotHeight + labelDepth + 14;

  const svg = new SvgBuilder(width, height, title);
  drawTitle(svg, title);
  drawAxes(svg, area, { label: "" }, { scale, label: useLog ? `${yLabel} (log scale)` : yLabel });
  const yPixel = (v: number) => area.y + area.height * (1 - scale.fraction(v));
  const baseline = useLog ? area.y + area.height : yPixel(0);
  const slot = plotWidth / categories.length;
  // Value labels on every bar or on none: a few labelled bars would look like highlights.
  const showValues = series.every((s) => s.values.every((v) => textWidth(formatCompact(v), 10) <= barWidth + 2));

  categories.forEach((category, c) => {
    const groupLeft = area.x + c * slot + (slot - series.length * barWidth) / 2;
    series.forEach((s, k) => {
      const value = s.values[c];
      const top = yPixel(value);
      const x = groupLeft + k * barWidth;
      svg.rect(x + 1, Math.min(top, baseline), barWidth - 2, Math.abs(baseline - top), { fill: colorOf(k) },
        `${s.name}, ${category}: ${formatCompact(value)}`);
      if (showValues) {
        const labelY = value >= 0 || useLog ? top - 4 : top + 12;
        svg.text(x + barWidth / 2, labelY, formatCompact(value), {
          "text-anchor": "middle",
          "font-size": 10,
          fill: "#333333",
        });
      }
    });
    const cx = area.x + c * slot + slot / 2;
    const cy = area.y + area.height + 16;
    if (rotateLabels)
      svg.text(cx, cy, category, { "text-anchor": "end", transform: `rotate(-30 ${num(cx)} ${num(cy)})` });
    else svg.text(cx, cy, category, { "text-anchor": "middle" });
  });
  if (!useLog && scale.min < 0) svg.line(area.x, baseline, area.x + area.width, baseline, { stroke: "#333333" });
  if (series.length > 1) drawLegend(svg, area.x + area.width + 12, area.y, entries);
  return svg.toString();
}

// ---------------------------------------------------------------------------------------------
// Line charts

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  /** null leaves a gap (e.g. an epoch without validation). */
  y: ArrayLike<number | null>;
  color?: string;
  dashed?: boolean;
  /** Draw a dot at every point (useful for few points, such as epochs). */
  markers?: boolean;
}

export interface LinePanelOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Fixed axis ranges; otherwise fitted to the data with round ticks. */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
  /** A dashed grey diagonal from (min, min) to (max, max), the chance line of a ROC plot. */
  diagonal?: boolean;
  /** Stretch the y axis to include 0 (rates, counts). */
  yIncludeZero?: boolean;
  /** Legend beside the plot (default, never hides data) or inside its lower-right corner (ROC curves). */
  legend?: "right" | "inside";
}

export interface LineChartOptions extends LinePanelOptions {
  width?: number;
  height?: number;
}

/** One line chart; series share the axes, the legend sits inside the plot at the lower right. */
export function lineChartSvg(opts: LineChartOptions): string {
  return panelsSvg(opts.title, [{ ...opts, title: "" }], opts.width ?? 560, opts.height ?? 380);
}

/** Several line charts side by side under one title (e.g. loss and accuracy). */
export function panelsSvg(title: string, panels: LinePanelOptions[], panelWidth = 460, panelHeight = 360): string {
  const prepared = panels.map((p) => preparePanel(p, title));
  const lefts = prepared.map((p) => maxTickWidth(p.yScale) + 40);
  const rights = prepared.map((p) => (p.options.legend === "inside" ? 16 : legendWidth(p.entries) + 24));
  const width = lefts.reduce((sum, left, i) => sum + left + panelWidth + rights[i], 0);
  const hasPanelTitles = panels.some((p) => p.title !== "");
  const top = TITLE_HEIGHT + (hasPanelTitles ? 24 : 6);
  const height = top + panelHeight + 50;
  const svg = new SvgBuilder(width, height, title);
  drawTitle(svg, title);
  let x = 0;
  prepared.forEach((panel, i) => {
    const area: Rect = { x: x + lefts[i], y: top, width: panelWidth, height: panelHeight };
    if (panel.options.title)
      svg.text(area.x + area.width / 2, top - 8, panel.options.title, { "text-anchor": "middle", "font-weight": "bold" });
    drawPanel(svg, area, panel);
    x += lefts[i] + panelWidth + rights[i];
  });
  return svg.toString();
}

interface PreparedPanel {
  options: LinePanelOptions;
  xScale: Scale;
  yScale: Scale;
  entries: LegendEntry[];
}

function preparePanel(options: LinePanelOptions, chartTitle: string): PreparedPanel {
  const where = `line chart "${[chartTitle, options.title].filter(Boolean).join(": ")}"`;
  if (options.series.length === 0) throw new SpikemedError(`${where}: no series to plot`);
  let xLo = Infinity, xHi = -Infinity, yLo = Infinity, yHi = -Infinity;
  for (const s of options.series) {
    if (s.x.length !== s.y.length)
      throw new SpikemedError(`${where}: series "${s.name}" has ${s.x.length} x values and ${s.y.length} y values`);
    for (let i = 0; i < s.x.length; i++) {
      const xv = s.x[i];
      const yv = s.y[i];
      if (!Number.isFinite(xv)) throw new SpikemedError(`${where}: series "${s.name}" x[${i}] is ${xv}`);
      if (yv === null) continue;
      if (!Number.isFinite(yv)) throw new SpikemedError(`${where}: series "${s.name}" y[${i}] is ${yv}`);
      xLo = Math.min(xLo, xv); xHi = Math.max(xHi, xv);
      yLo = Math.min(yLo, yv); yHi = Math.max(yHi, yv);
    }
  }
  if (xLo === Infinity) throw new SpikemedError(`${where}: every series is empty`);
  const [x0, x1] = options.xRange ?? [xLo, xHi];
  const [y0, y1] = options.yRange ?? (options.yIncludeZero ? [Math.min(0, yLo), Math.max(0, yHi)] : [yLo, yHi]);
  let xScale = linearScale(x0, x1, 6, options.xRange === undefined);
  if (options.integerX) {
    const step = Math.max(1, Math.ceil((x1 - x0) / 10));
    const ticks: number[] = [];
    for (let t = Math.ceil(x0); t <= x1; t += step) ticks.push(t);
    const lo = x0 === x1 ? x0 - 1 : x0;
    const hi = x0 === x1 ? x1 + 1 : x1;
    xScale = { min: lo, max: hi, ticks, log: false, fraction: (v) => (v - lo) / (hi - lo), format: (v) => String(v) };
  }
  const entries = options.series.map((s, k) => ({ name: s.name, color: s.color ?? colorOf(k), dashed: s.dashed }));
  return { options, xScale, yScale: linearScale(y0, y1, 5, options.yRange === undefined), entries };
}

function drawPanel(svg: SvgBuilder, area: Rect, panel: PreparedPanel): void {
  const { options, xScale, yScale, entries } = panel;
  drawAxes(svg, area, { scale: xScale, label: options.xLabel }, { scale: yScale, label: options.yLabel });
  const px = (v: number) => area.x + area.width * xScale.fraction(v);
  const py = (v: number) => area.y + area.height * (1 - yScale.fraction(v));
  if (options.diagonal)
    svg.line(px(xScale.min), py(yScale.min), px(xScale.max), py(yScale.max), {
      stroke: "#999999",
      "stroke-dasharray": "4 4",
    });
  options.series.forEach((s, k) => {
    const color = entries[k].color;
    const stroke = { stroke: color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "6 4" : undefined };
    // Consecutive non-null points form one polyline; a null ends it.
    let xs: number[] = [];
    let ys: number[] = [];
    const flush = () => {
      if (xs.length > 1) svg.polyline(xs, ys, stroke);
      xs = [];
      ys = [];
    };
    for (let i = 0; i < s.x.length; i++) {
      const yv = s.y[i];
      if (yv === null) {
        flush();
        continue;
      }
      xs.push(px(s.x[i]));
      ys.push(py(yv));
      if (s.markers) svg.circle(px(s.x[i]), py(yv), 3, { fill: color }, `${s.name}: x=${s.x[i]}, y=${formatCompact(yv)}`);
    }
    flush();
  });
  if (options.legend === "inside")
    drawLegend(svg, area.x + area.width - legendWidth(entries) - 8, area.y + area.height - entries.length * LEGEND_ROW - 14, entries);
  else drawLegend(svg, area.x + area.width + 12, area.y, entries);
}

// ---------------------------------------------------------------------------------------------
// Accuracy against energy

export interface TradeOffPlotOptions {
  title: string;
  /** e.g. "J per inference on loihi". */
  xLabel: string;
  yLabel: string;
  /** One point per model; x > 0 (drawn on a log scale). */
  points: { label: string; x: number; y: number; onFront: boolean }[];
}

/**
 * A score against joules per inference (log scale), one labelled dot per model, the Pareto front
 * (the models nothing beats on both) joined by a line and drawn filled; the others hollow.
 */
export function tradeOffSvg(opts: TradeOffPlotOptions): string {
  const where = `trade-off plot "${opts.title}"`;
  if (opts.points.length === 0) throw new SpikemedError(`${where}: no points to plot`);
  for (const p of opts.points) {
    if (!(Number.isFinite(p.x) && p.x > 0)) throw new SpikemedError(`${where}: "${p.label}" has ${p.x} joules; a log scale needs values > 0`);
    if (!Number.isFinite(p.y)) throw new SpikemedError(`${where}: "${p.label}" has score ${p.y}, not a finite number`);
  }
  const xs = opts.points.map((p) => p.x);
  const ys = opts.points.map((p) => p.y);
  const xScale = logScale(Math.min(...xs), Math.max(...xs));
  const yScale = linearScale(Math.min(...ys), Math.max(...ys), 5);
  const left = maxTickWidth(yScale) + 40;
  const labelRoom = Math.min(220, Math.max(...opts.points.map((p) => textWidth(p.label, 10))) + 12);
  const area: Rect = { x: left, y: TITLE_HEIGHT + 10, width: 520, height: 340 };
  const svg = new SvgBuilder(Math.max(left + area.width + labelRoom, textWidth(opts.title, 15) + 20), area.y + area.height + 50, opts.title);
  drawTitle(svg, opts.title);
  drawAxes(svg, area, { scale: xScale, label: `${opts.xLabel} (log scale)` }, { scale: yScale, label: opts.yLabel });
  const px = (v: number) => area.x + area.width * xScale.fraction(v);
  const py = (v: number) => area.y + area.height * (1 - yScale.fraction(v));
  const front = opts.points.filter((p) => p.onFront).sort((a, b) => a.x - b.x);
  if (front.length > 1) svg.polyline(front.map((p) => px(p.x)), front.map((p) => py(p.y)), { stroke: colorOf(0), "stroke-width": 2 });
  for (const p of opts.points) {
    const style = p.onFront ? { fill: colorOf(0) } : { fill: "#ffffff", stroke: colorOf(1), "stroke-width": 2 };
    svg.circle(px(p.x), py(p.y), 4.5, style, `${p.label}: ${formatCompact(p.x)} J, ${formatCompact(p.y)}${p.onFront ? " (Pareto front)" : ""}`);
    svg.text(px(p.x) + 7, py(p.y) - 6, p.label, { "font-size": 10, fill: "#333333" });
  }
  // Lower right: costly and inaccurate, the corner a trade-off leaves empty.
  const entries = [{ name: "Pareto front", color: colorOf(0) }, { name: "beaten on both", color: colorOf(1), dashed: true }];
  drawLegend(svg, area.x + area.width - legendWidth(entries) - 8, area.y + area.height - entries.length * LEGEND_ROW - 14, entries);
  return svg.toString();
}

// ---------------------------------------------------------------------------------------------
// Confusion matrix

export interface ConfusionMatrixPlotOptions {
  title: string;
  classNames: string[];
  /** k*k counts, row-major: row = true class, column = predicted class. */
  matrix: ArrayLike<number>;
}

/**
 * Heatmap of a confusion matrix. Each cell shows its count and its share of the true class
 * (row percentage, i.e. recall on the diagonal); the colour follows that share so rare classes
 * stay readable next to a dominant one.
 */
export function confusionMatrixSvg(opts: ConfusionMatrixPlotOptions): string {
  const k = opts.classNames.length;
  const where = `confusion matrix plot "${opts.title}"`;
  if (k === 0) throw new SpikemedError(`${where}: no classes`);
  if (opts.matrix.length !== k * k)
    throw new SpikemedError(`${where}: ${opts.matrix.length} cells for ${k} classes (expected ${k * k})`);
  const cell = Math.max(56, Math.max(...opts.classNames.map((n) => textWidth(n))) + 10);
  const labelWidth = Math.max(...opts.classNames.map((n) => textWidth(n))) + 12;
  const area: Rect = { x: 40 + labelWidth, y: TITLE_HEIGHT + 30, width: k * cell, height: k * cell };
  const footnote = "colour and % = share of the true class (row); diagonal = recall";
  const width = Math.max(area.x + area.width + 24, textWidth(opts.title, 15) + 20, area.x + textWidth(footnote, 10) + 16);
  const height = area.y + area.height + 40;
  const svg = new SvgBuilder(width, height, opts.title);
  drawTitle(svg, opts.title);
  svg.text(area.x + area.width / 2, area.y - 22, "Predicted class", { "text-anchor": "middle", "font-weight": "bold" });
  const axisX = 16;
  const axisY = area.y + area.height / 2;
  svg.text(axisX, axisY, "True class", {
    "text-anchor": "middle",
    "font-weight": "bold",
    transform: `rotate(-90 ${axisX} ${num(axisY)})`,
  });
  for (let r = 0; r < k; r++) {
    let rowTotal = 0;
    for (let c = 0; c < k; c++) rowTotal += opts.matrix[r * k + c];
    for (let c = 0; c < k; c++) {
      const count = opts.matrix[r * k + c];
      if (!Number.isFinite(count) || count < 0)
        throw new SpikemedError(`${where}: cell (${r}, ${c}) is ${count}, not a count`);
      const share = rowTotal > 0 ? count / rowTotal : 0;
      const x = area.x + c * cell;
      const y = area.y + r * cell;
      const textColor = share > 0.55 ? "#ffffff" : "#111111";
      svg.rect(x, y, cell, cell, { fill: blues(share), stroke: "#ffffff" },
        `true ${opts.classNames[r]}, predicted ${opts.classNames[c]}: ${count}`);
      svg.text(x + cell / 2, y + cell / 2 - 1, String(count), {
        "text-anchor": "middle",
        fill: textColor,
        "font-weight": r === c ? "bold" : undefined,
      });
      svg.text(x + cell / 2, y + cell / 2 + 13, rowTotal > 0 ? `${(share * 100).toFixed(1)}%` : "-", {
        "text-anchor": "middle",
        "font-size": 10,
        fill: textColor,
      });
    }
  }
  opts.classNames.forEach((name, i) => {
    svg.text(area.x + i * cell + cell / 2, area.y - 6, name, { "text-anchor": "middle" });
    svg.text(area.x - 6, area.y + i * cell + cell / 2 + 4, name, { "text-anchor": "end" });
  });
  svg.text(area.x, area.y + area.height + 22, footnote, {
    "font-size": 10,
    fill: "#555555",
  });
  return svg.toString();
}

/** White to dark blue, linear in sRGB; enough for a readable sequential scale. */
function blues(t: number): string {
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const channel = (i: number) => Math.round(from[i] + (to[i] - from[i]) * Math.min(1, Math.max(0, t)));
  return `#${[0, 1, 2].map((i) => channel(i).toString(16).padStart(2, "0")).join("")}`;
}

// ---------------------------------------------------------------------------------------------
// ROC curves

export interface RocPlotOptions {
  title: string;
  curves: { name: string; fpr: ArrayLike<number>; tpr: ArrayLike<number>; auc: number | null }[];
}

/** ROC curves of several classes (one-vs-rest) on a square plot, with the chance diagonal and AUCs in the legend. */
export function rocCurvesSvg(opts: RocPlotOptions): string {
  if (opts.curves.length === 0) throw new SpikemedError(`ROC plot "${opts.title}": no curves to plot`);
  return lineChartSvg({
    title: opts.title,
    xLabel: "False positive rate (1 - specificity)",
    yLabel: "True positive rate (sensitivity)",
    xRange: [0, 1],
    yRange: [0, 1],
    diagonal: true,
    legend: "inside",
    width: 400,
    height: 400,
    series: opts.curves.map((c) => ({
      name: c.auc === null ? `${c.name} (AUC n/a)` : `${c.name} (AUC ${c.auc.toFixed(4)})`,
      x: c.fpr,
      y: c.tpr,
    })),
  });
}
