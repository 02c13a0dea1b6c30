/**
 * The accuracy-energy trade-off of several models: the Pareto front is the set of models that no
 * other model beats on both counts (at least as accurate and at most as costly, better in one).
 * `spikemed compare` and `spikemed search --objective METRIC@DEVICE` show it as a table and a plot.
 */
import { tradeOffSvg } from "./plots.js";

export interface TradeOffPoint {
  label: string;
  /** Higher is better (accuracy, balanced accuracy...), as a fraction. */
  score: number;
  /** Lower is better: joules per inference on one device. */
  joules: number;
}

/** For each point, whether it is on the Pareto front (no other point is as good in both and better in one). */
export function paretoFront(points: readonly TradeOffPoint[]): boolean[] {
  return points.map((p) => !points.some((q) => q !== p && q.score >= p.score && q.joules <= p.joules && (q.score > p.score || q.joules < p.joules)));
}

/**
 * A Markdown table of the points (front first, then by score) and the SVG plot of score against
 * joules per inference on `device`; `scoreName` names the score, e.g. "accuracy".
 */
export function tradeOffSection(points: readonly TradeOffPoint[], device: string, scoreName: string, plotFile: string): { markdown: string; svg: string } {
  const front = paretoFront(points);
  const order = points.map((p, i) => ({ p, on: front[i] })).sort((a, b) => Number(b.on) - Number(a.on) || b.p.score - a.p.score || a.p.joules - b.p.joules);
  const lines = [
    `| Run | ${scoreName} % | J per inference on ${device} | Pareto front |`,
    "| :--- | ---: | ---: | :--- |",
    ...order.map(({ p, on }) => `| ${p.label.replace(/\|/g, "\\|")} | ${(100 * p.score).toFixed(2)} | ${p.joules.toExponential(2)} | ${on ? "yes" : "no"} |`),
  ];
  const markdown = `${lines.join("\n")}\n\nOn the Pareto front: the runs that no other run beats, none having at least their ${scoreName} at no more energy and being better in one of the two.\n\n` +
    `![${scoreName} against J per inference on ${device}](${plotFile})\n`;
  const svg = tradeOffSvg({
    title: `${scoreName} against energy per inference on ${device}`, xLabel: `J per inference on ${device}`, yLabel: `${scoreName} (%)`,
    points: points.map((p, i) => ({ label: p.label, x: p.joules, y: 100 * p.score, onFront: front[i] })),
  });
  return { markdown, svg };
}
