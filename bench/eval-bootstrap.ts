/**
 * How long evaluateClassifier takes with the default 1000 bootstrap resamples, at the size of
 * the MIT-BIH test sets (about 50,000 beats, 5 AAMI classes), with and without ROC AUC.
 * Run: npx tsc -p . && node dist/bench/eval-bootstrap.js
 */
import * as os from "node:os";
import { Rng } from "../src/core/random.js";
import { argmaxRows, evaluateClassifier } from "../src/eval/index.js";

const classNames = ["N", "S", "V", "F", "Q"];
const prior = [0.89, 0.03, 0.07, 0.008, 0.002];
const k = classNames.length;

function synthetic(n: number) {
  const rng = new Rng(1);
  const yTrue = new Int32Array(n);
  const probabilities = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let c = 0;
    while (c < k - 1 && u > prior[c]) u -= prior[c++];
    yTrue[i] = c;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = Math.exp(1.2 * rng.normal() + (j === c ? 2.5 : 0));
      probabilities[i * k + j] = v;
      sum += v;
    }
    for (let j = 0; j < k; j++) probabilities[i * k + j] /= sum;
  }
  return { yTrue, probabilities };
}

const lines = [
  "# evaluateClassifier with bootstrap intervals",
  "",
  `Command: \`npx tsc -p . && node dist/bench/eval-bootstrap.js\`; date ${new Date().toISOString()}; CPU ${os.cpus()[0].model}; Node ${process.version}.`,
  "Synthetic 5-class predictions (AAMI-like class shares). Best of 3 runs.",
  "",
  "| Samples | Resamples | ROC AUC | Seconds |",
  "| ---: | ---: | :--- | ---: |",
];
for (const n of [10000, 50000]) {
  const data = synthetic(n);
  for (const withAuc of [false, true]) {
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      evaluateClassifier({
        classNames,
        yTrue: data.yTrue,
        ...(withAuc ? { probabilities: data.probabilities } : { yPred: argmaxRows(data.probabilities, n, k) }),
        bootstrap: { resamples: 1000 },
      });
      best = Math.min(best, (performance.now() - start) / 1000);
    }
    lines.push(`| ${n} | 1000 | ${withAuc ? "yes (one-vs-rest, 5 classes)" : "no"} | ${best.toFixed(2)} |`);
  }
}
console.log(lines.join("\n"));
