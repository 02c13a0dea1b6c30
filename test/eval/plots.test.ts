import { test } from "node:test";
import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { barChartSvg, confusionMatrixSvg, lineChartSvg, rocCurvesSvg } from "../../src/eval/index.js";
import { SpikemedError } from "../../src/core/errors.js";

type Node = Record<string, unknown>;

/** Parses an SVG after checking it is well-formed XML; returns the <svg> element (elements as arrays). */
function parseSvg(svg: string): Node {
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, `invalid XML: ${JSON.stringify(valid)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseTagValue: false,
    parseAttributeValue: false, isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute });
  const root = parser.parse(svg) as { svg: Node[] };
  assert.equal(root.svg.length, 1);
  const svgElement = root.svg[0];
  assert.equal(svgElement.xmlns, "http://www.w3.org/2000/svg");
  return svgElement;
}

const texts = (svg: Node): string[] =>
  ((svg.text as (Node | string)[]) ?? []).map((t) => (typeof t === "string" ? t : String(t["#text"])));

test("bar chart: one bar per category and series, heights proportional to values", () => {
  const svg = parseSvg(
    barChartSvg({
      title: "Energy <per> beat & more",
      categories: ["SNN", "CNN", "BiLSTM"],
      series: [
        { name: "dynamic", values: [1, 2, 4] },
        { name: "static", values: [3, 0, 2] },
      ],
      yLabel: "energy (µJ)",
    }),
  );
  const bars = (svg.rect as Node[]).filter((r) => r.title);
  assert.equal(bars.length, 6);
  const heights = bars.map((b) => Number(b.height));
  // Order: category-major (SNN dynamic, SNN static, CNN dynamic, ...), values 1 3 2 0 4 2.
  const unit = heights[0];
  assert.ok(unit > 0);
  [1, 3, 2, 0, 4, 2].forEach((v, i) => assert.ok(Math.abs(heights[i] - v * unit) < 0.05, `bar ${i}: ${heights[i]} vs ${v * unit}`));
  const labels = texts(svg);
  for (const expected of ["Energy <per> beat & more", "SNN", "CNN", "BiLSTM", "dynamic", "static", "energy (µJ)"])
    assert.ok(labels.includes(expected), `missing text "${expected}"`);
});

test("bar chart on a log scale: bar tops ordered by log value, decades as ticks", () => {
  const svgText = barChartSvg({
    title: "log",
    categories: ["a", "b", "c"],
    series: [{ name: "E", values: [1e-6, 1e-4, 1e-5] }],
    yLabel: "J",
    logScale: true,
  });
  const svg = parseSvg(svgText);
  const bars = (svg.rect as Node[]).filter((r) => r.title);
  const heights = bars.map((b) => Number(b.height));
  // Equal steps in log10: heights 1e-4 bar - 1e-5 bar == 1e-5 bar - 1e-6 bar; the smallest bar stays visible.
  assert.ok(heights[0] > 10, `smallest bar ${heights[0]} px`);
  assert.ok(Math.abs(heights[1] - heights[2] - (heights[2] - heights[0])) < 0.05, heights.join(","));
  const labels = texts(svg);
  for (const tick of ["1e-6", "1e-5", "1e-4"]) assert.ok(labels.includes(tick), `missing tick ${tick}`);
  assert.throws(
    () => barChartSvg({ title: "t", categories: ["a"], series: [{ name: "E", values: [0] }], yLabel: "J", logScale: true }),
    (e: Error) => e instanceof SpikemedError && /series "E", category "a" is 0; a log scale needs values > 0/.test(e.message),
  );
});

test("bar chart rejects mismatched or non-finite input", () => {
  assert.throws(() => barChartSvg({ title: "t", categories: ["a", "b"], series: [{ name: "E", values: [1] }], yLabel: "J" }), /series "E" has 1 values for 2 categories/);
  assert.throws(() => barChartSvg({ title: "t", categories: ["a"], series: [{ name: "E", values: [NaN] }], yLabel: "J" }), /is NaN, not a finite number/);
  assert.throws(() => barChartSvg({ title: "t", categories: [], series: [], yLabel: "J" }), /no categories/);
});

test("confusion matrix heatmap shows every count and the class names", () => {
  const svg = parseSvg(confusionMatrixSvg({ title: "CM", classNames: ["N", "S", "V"], matrix: [50, 2, 1, 3, 20, 0, 4, 1, 30] }));
  const labels = texts(svg);
  for (const count of ["50", "2", "1", "3", "20", "0", "4", "30"]) assert.ok(labels.includes(count), `missing count ${count}`);
  assert.ok(labels.includes("94.3%"), "row share of N->N (50 / 53)");
  assert.equal(labels.filter((t) => t === "S").length, 2, "class names on both axes");
  assert.throws(() => confusionMatrixSvg({ title: "CM", classNames: ["a", "b"], matrix: [1, 2, 3] }), /3 cells for 2 classes/);
});

test("line chart: a null breaks the line; ROC plot has the chance diagonal", () => {
  const svg = parseSvg(
    lineChartSvg({
      title: "loss",
      xLabel: "epoch",
      yLabel: "loss",
      integerX: true,
      series: [{ name: "val", x: [1, 2, 3, 4, 5], y: [1, 0.8, null, 0.5, 0.4] }],
    }),
  );
  assert.equal((svg.polyline as Node[]).length, 2);
  const roc = parseSvg(rocCurvesSvg({ title: "ROC", curves: [{ name: "V", fpr: [0, 0.1, 1], tpr: [0, 0.9, 1], auc: 0.9 }] }));
  assert.ok(texts(roc).includes("V (AUC 0.9000)"));
  assert.ok((roc.line as Node[]).some((l) => l["stroke-dasharray"] === "4 4"));
  assert.throws(() => lineChartSvg({ title: "t", xLabel: "x", yLabel: "y", series: [{ name: "s", x: [1, 2], y: [1] }] }), /2 x values and 1 y values/);
});
