/**
 * Chest X-rays in the page: each image as the network reads it, its class probabilities, and the
 * occlusion map of `spikemed explain` (red: hiding that region lowers the predicted class's
 * probability; blue: raises it) as an overlay whose opacity a slider sets.
 */
import type { ImageResult } from "./page-worker.js";

export class XrayView {
  private images: ImageResult[] = [];
  private selected = -1;
  private evidence: { image: number; size: number; drop: Float32Array; classIndex: number } | null = null;
  /** Called when an image is selected whose occlusion map is not known yet. */
  onExplain: (image: number) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement, private readonly slider: HTMLInputElement, private readonly list: HTMLElement,
    private readonly probabilities: HTMLElement, private readonly caption: HTMLElement, private classNames: string[] = []) {
    slider.oninput = () => this.draw();
  }

  show(images: ImageResult[], classNames: string[]): void {
    this.images = images;
    this.classNames = classNames;
    this.evidence = null;
    const table = document.createElement("table");
    table.id = "xray-table";
    table.append(Object.assign(document.createElement("tr"), { innerHTML: `<th>image</th><th>class</th>${classNames.map((c) => `<th>p(${c})</th>`).join("")}<th>problem</th>` }));
    images.forEach((image, i) => {
      const tr = document.createElement("tr");
      const cells = "error" in image ? [image.name, "could not be read", ...classNames.map(() => ""), image.error]
        : [image.name, best(image.probabilities, classNames), ...classNames.map((c) => image.probabilities[c].toFixed(4)), ""];
      tr.append(...cells.map((text) => Object.assign(document.createElement("td"), { textContent: text })));
      if ("error" in image) tr.className = "abnormal";
      else {
        tr.tabIndex = 0;
        tr.style.cursor = "pointer";
        tr.onclick = () => this.select(i);
        tr.onkeydown = (event) => {
          if (event.key === "Enter" || event.key === " ") this.select(i);
          if (event.key === "ArrowDown") (tr.nextElementSibling as HTMLElement | null)?.focus();
          if (event.key === "ArrowUp") (tr.previousElementSibling as HTMLElement | null)?.focus();
        };
      }
      table.append(tr);
    });
    this.list.replaceChildren(table);
    const first = images.findIndex((image) => !("error" in image));
    if (first >= 0) this.select(first);
    else {
      this.probabilities.replaceChildren();
      this.caption.textContent = "";
    }
  }

  select(i: number): void {
    const image = this.images[i];
    if (!image || "error" in image) return;
    this.selected = i;
    this.probabilities.replaceChildren(Object.assign(document.createElement("h2"), { textContent: image.name }),
      ...this.classNames.map((c) => {
        const bar = document.createElement("div");
        bar.className = "bar wide";
        bar.innerHTML = `<b></b><span><span class="fill"></span></span><span class="value"></span>`;
        (bar.children[0] as HTMLElement).textContent = c;
        const fill = bar.querySelector(".fill") as HTMLElement;
        fill.style.width = `${(100 * image.probabilities[c]).toFixed(1)}%`;
        fill.style.background = c === best(image.probabilities, this.classNames) ? "#c62828" : "#90a4ae";
        (bar.children[2] as HTMLElement).textContent = image.probabilities[c].toFixed(4);
        return bar;
      }));
    this.caption.textContent = "Computing the occlusion map...";
    if (this.evidence?.image !== i) this.onExplain(i);
    this.draw();
  }

  /** The occlusion map of image `image`, from the worker. */
  setEvidence(image: number, size: number, drop: Float32Array, classIndex: number, seconds: number): void {
    this.evidence = { image, size, drop, classIndex };
    if (image === this.selected) {
      this.caption.textContent = `Evidence for ${this.classNames[classIndex]} (occlusion, ${seconds.toFixed(1)} s in this browser): red where hiding the region lowers its probability, blue where it raises it.`;
      this.canvas.dataset.evidence = String(image);
    }
    this.draw();
  }

  draw(): void {
    const image = this.images[this.selected];
    if (!image || "error" in image) return;
    const { size, pixels } = image;
    const alpha = Number(this.slider.value) / 100;
    const evidence = this.evidence?.image === this.selected ? this.evidence : null;
    let largest = 1e-6;
    if (evidence) for (const d of evidence.drop) largest = Math.max(largest, Math.abs(d));
    const rgba = new ImageData(size, size);
    for (let i = 0; i < size * size; i++) {
      const grey = pixels[i];
      let [r, g, b] = [grey, grey, grey];
      if (evidence) {
        const strength = alpha * Math.min(1, Math.abs(evidence.drop[i]) / largest);
        const tint = evidence.drop[i] >= 0 ? [255, 40, 0] : [0, 90, 255];
        [r, g, b] = [r, g, b].map((v, c) => Math.round(v * (1 - strength) + tint[c] * strength));
      }
      rgba.data.set([r, g, b, 255], 4 * i);
    }
    const scratch = new OffscreenCanvas(size, size);
    scratch.getContext("2d")!.putImageData(rgba, 0, 0);
    const ctx = this.canvas.getContext("2d")!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(scratch, 0, 0, this.canvas.width, this.canvas.height);
  }
}

function best(probabilities: Record<string, number>, classNames: string[]): string {
  return classNames.reduce((a, b) => (probabilities[b] > probabilities[a] ? b : a));
}
