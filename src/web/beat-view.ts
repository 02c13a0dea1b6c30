/**
 * One beat as the network sees it, drawn in the page: its window (each lead) with the `explain`
 * evidence shaded under it, the class probabilities, the RR measurements and the features the
 * model reads, and the spike raster of each spiking layer.
 */
import { crispContext } from "./canvas.js";
import { classColour, clock } from "./ecg-strip.js";
import type { BeatDetail, LayerRaster } from "./page-worker.js";

export interface BeatContext {
  classNames: string[];
  /** The beat's time in the record, its predicted class and probabilities (those `spikemed predict` gives), its annotated class (-1: none). */
  seconds: number;
  label: number;
  probabilities: ArrayLike<number>;
  reference: number;
}

const html = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

export function renderBeat(panel: HTMLElement, detail: BeatDetail, context: BeatContext): void {
  const { classNames, label, reference } = context;
  const predicted = html("span", { className: "cls" }, classNames[label]);
  predicted.style.color = classColour(classNames[label]);
  const heading = html("h2", {}, `Beat ${detail.index + 1} at ${clock(context.seconds)} (${context.seconds.toFixed(2)} s): `, predicted,
    reference >= 0 ? ` (annotated ${classNames[reference]}${reference !== label ? ", disagreement" : ""})` : "");
  const windowCanvas = html("canvas", { id: "beat-window", height: 70 + 90 * detail.leads } as Partial<HTMLCanvasElement>);
  windowCanvas.style.height = `${70 + 90 * detail.leads}px`;
  const bars = html("div", { id: "beat-probabilities" }, ...classNames.map((c, k) => probabilityBar(c, context.probabilities[k])));
  const measurements = html("table", { id: "beat-rr" }, html("tr", { innerHTML: "<th>RR measurement</th><th>value</th>" }),
    ...detail.rr.map(({ name, value }) => html("tr", {}, html("td", { textContent: name }), html("td", { textContent: format(value) }))));
  const features = detail.features.length === 0 ? [] : [html("table", { id: "beat-features" },
    html("tr", { innerHTML: `<th>feature the model reads</th><th>value</th><th>fall of P(${classNames[detail.evidence.classIndex]}) when typical</th>` }),
    ...detail.features.map(({ name, value, drop }) => html("tr", {}, html("td", { textContent: name }), html("td", { textContent: format(value) }), html("td", { textContent: (Math.abs(drop) < 5e-5 ? 0 : drop).toFixed(4) }))))];
  const rasters = html("div", { id: "beat-raster" }, ...(detail.raster.length === 0 ? [html("p", { textContent: "This model has no spiking layer." })] : detail.raster.map(rasterFigure)));
  panel.replaceChildren(heading, html("p", { className: "keys", textContent: "The window as the network reads it (normalised), each lead; shaded: the fall of the predicted class's probability when that stretch is flattened (the evidence of spikemed explain)." }),
    windowCanvas, html("h2", { textContent: "Class probabilities" }), bars, measurements, ...features, html("h2", { textContent: "Spikes of each spiking layer" }), rasters);
  drawWindow(windowCanvas, detail, classNames[detail.evidence.classIndex]);
}

function probabilityBar(name: string, p: number): HTMLElement {
  const fill = html("span", { className: "fill" });
  fill.style.width = `${(100 * p).toFixed(1)}%`;
  fill.style.background = classColour(name);
  return html("div", { className: "bar" }, html("b", { textContent: name }), html("span", {}, fill), html("span", { className: "value", textContent: p.toFixed(4) }));
}

function format(value: number): string {
  return Number.isNaN(value) ? "n/a" : Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(3);
}

function drawWindow(canvas: HTMLCanvasElement, detail: BeatDetail, className: string): void {
  const { ctx, width, height } = crispContext(canvas, 400);
  const { leads, leadLength, before, sampleRate } = detail;
  const lane = (height - 20) / leads;
  const x = (s: number) => 4 + ((width - 8) * s) / (leadLength - 1);
  const largest = Math.max(1e-6, ...detail.evidence.leadProfiles.flatMap((profile) => Array.from(profile, Math.abs)));
  ctx.font = "11px system-ui, sans-serif";
  for (let l = 0; l < leads; l++) {
    const values = detail.window.subarray(l * leadLength, (l + 1) * leadLength);
    let low = Infinity;
    let high = -Infinity;
    for (const v of values) { low = Math.min(low, v); high = Math.max(high, v); }
    const top = l * lane + 4;
    const y = (v: number) => top + (lane - 8) * (1 - (v - low) / Math.max(1e-6, high - low));
    // Evidence: a bar per sample, up for support of the class, down (blue) against it.
    const profile = detail.evidence.leadProfiles[l];
    if (profile) {
      for (let s = 0; s < leadLength; s++) {
        const strength = profile[s] / largest;
        ctx.fillStyle = strength >= 0 ? `rgba(214, 39, 40, ${0.55 * strength})` : `rgba(21, 101, 192, ${-0.55 * strength})`;
        ctx.fillRect(x(s - 0.5), top, Math.max(1, x(1) - x(0)), lane - 8);
      }
    }
    ctx.strokeStyle = "#888";
    ctx.beginPath();
    ctx.moveTo(x(before), top);
    ctx.lineTo(x(before), top + lane - 8);
    ctx.stroke();
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.3;
    ctx.beginPath();
    values.forEach((v, s) => (s === 0 ? ctx.moveTo(x(s), y(v)) : ctx.lineTo(x(s), y(v))));
    ctx.stroke();
    ctx.fillStyle = "#555";
    ctx.fillText(leads > 1 ? `lead ${l + 1}` : "beat window", 6, top + 12);
  }
  ctx.fillStyle = "#555";
  ctx.textAlign = "center";
  for (let ms = -Math.floor((1000 * before) / sampleRate / 250) * 250; ms <= (1000 * (leadLength - before)) / sampleRate; ms += 250) {
    ctx.fillText(`${ms} ms`, x(before + (ms * sampleRate) / 1000), height - 4);
  }
  ctx.textAlign = "right";
  ctx.fillStyle = "rgba(214, 39, 40, 0.9)";
  ctx.fillText(`evidence for ${className}`, width - 6, 14);
}

/**
 * A layer's spikes: one block per time step, each block the layer's neurons (channels as rows,
 * positions as columns; a dense layer's neurons in one row), a dark pixel per spike. Blocks go
 * left to right, then down: time steps read like lines of text.
 */
function rasterFigure(raster: LayerRaster): HTMLElement {
  const [steps, ...neurons] = raster.shape;
  const rows = neurons.length > 1 ? neurons[0] : 1;
  const columns = neurons.length > 1 ? neurons.slice(1).reduce((a, b) => a * b, 1) : neurons[0];
  const rowScale = rows === 1 ? 5 : 1;
  const gap = 3;
  const perLine = rows === 1 ? 1 : Math.max(1, Math.floor(520 / (columns + gap)));
  const lines = Math.ceil(steps / perLine);
  const blockHeight = rows * rowScale + gap;
  const canvas = html("canvas", { width: perLine * (columns + gap) - gap, height: lines * blockHeight - gap } as Partial<HTMLCanvasElement>);
  canvas.dataset.layer = raster.layer;
  const scale = canvas.width < 300 ? 2 : 1;
  canvas.style.width = `${canvas.width * scale}px`;
  canvas.style.height = `${canvas.height * scale}px`;
  const ctx = canvas.getContext("2d")!;
  const image = ctx.createImageData(canvas.width, canvas.height);
  image.data.fill(255);
  const perStep = rows * columns;
  let total = 0;
  for (let t = 0; t < steps; t++) {
    const left = (t % perLine) * (columns + gap);
    const top = Math.floor(t / perLine) * blockHeight;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const spike = raster.spikes[t * perStep + r * columns + c];
        total += spike;
        for (let k = 0; k < rowScale; k++) {
          const p = 4 * ((top + r * rowScale + k) * canvas.width + left + c);
          image.data[p] = spike ? 20 : 240;
          image.data[p + 1] = spike ? 20 : 240;
          image.data[p + 2] = spike ? 60 : 240;
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  const rate = total / raster.spikes.length;
  const order = rows === 1 ? "time steps top to bottom" : `time steps ${perLine > 1 ? "left to right, then down" : "top to bottom"}`;
  const caption = `${raster.layer}: ${neurons.join(" x ")} neurons, ${steps} ${order}; ${total.toLocaleString("en")} spikes (rate ${rate.toFixed(3)})`;
  return html("figure", { className: "raster" }, canvas, html("figcaption", { textContent: caption }));
}
