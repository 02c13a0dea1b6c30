/**
 * The HTML of the page `spikemed serve` opens: its layout and styles. Its logic is page.ts;
 * everything it computes, it computes in the browser. The notice comes above all of it; the empty
 * icon spares the server's log a refused /favicon.ico on every visit.
 */
export function pageHtml(notice: string): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spikemed</title>
<link rel="icon" href="data:,">
<style>
  :root { --N: #2e7d32; --S: #1565c0; --V: #c62828; --F: #ef6c00; --Q: #6a1b9a; --line: #ddd; }
  * { box-sizing: border-box; }
  body { font: 15px system-ui, sans-serif; margin: 0 auto; max-width: 90em; padding: 0.5em 1em 2em; }
  h1 { font-size: 1.35em; margin: 0.3em 0; }
  h2 { font-size: 1.1em; margin: 0.8em 0 0.3em; }
  table { border-collapse: collapse; margin: 0.3em 0; }
  td, th { padding: 2px 8px; text-align: right; border-bottom: 1px solid var(--line); }
  th:first-child, td:first-child { text-align: left; }
  tr.abnormal td { background: #fdecea; }
  button, select { font: inherit; }
  button:focus-visible, canvas:focus-visible, input:focus-visible, tr:focus-visible { outline: 3px solid #ffb300; outline-offset: 1px; }
  #status { color: #555; min-height: 1.2em; }
  #notice { background: #fff4d6; border: 1px solid #e0c060; padding: 4px 8px; }
  #drop { border: 2px dashed #bbb; border-radius: 6px; padding: 0.4em 0.8em; }
  body.dragging #drop { border-color: #1565c0; background: #e3f2fd; }
  .toolbar { display: flex; flex-wrap: wrap; gap: 0.3em 0.6em; align-items: center; margin: 0.4em 0; }
  .toolbar .group { display: flex; gap: 0.25em; align-items: center; }
  /* The go-to buttons wrap a pair (previous, next) at a time, never inside a button. */
  .toolbar .go { flex-wrap: wrap; gap: 0.25em 0.6em; }
  .toolbar .pair { display: flex; gap: 0.25em; }
  .toolbar button { white-space: nowrap; }
  .training-note { background: #fdecea; border: 1px solid #e57373; padding: 4px 8px; }
  canvas { display: block; width: 100%; touch-action: none; }
  #strip { height: 300px; border: 1px solid var(--line); cursor: grab; }
  #overview { height: 46px; border: 1px solid var(--line); border-top: 0; cursor: pointer; }
  .panels { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1em; align-items: start; }
  .panel { min-width: 0; }
  .bar { display: grid; grid-template-columns: 2.5em 1fr 4.5em; align-items: center; gap: 0.4em; margin: 2px 0; }
  .bar.wide { grid-template-columns: 7em 1fr 4.5em; }
  .bar span.fill { display: block; height: 0.9em; border-radius: 2px; }
  .bar .value { text-align: right; font-variant-numeric: tabular-nums; }
  .legend span { display: inline-block; margin-right: 0.8em; }
  .legend b, .cls { font-weight: 700; }
  #beat-raster { display: flex; flex-wrap: wrap; gap: 0 1em; }
  .raster { margin: 0.3em 0 0.6em; max-width: 100%; }
  .raster figcaption { font-size: 0.85em; color: #555; max-width: 32em; }
  .raster canvas { image-rendering: pixelated; border: 1px solid var(--line); max-width: 100%; object-fit: contain; object-position: left top; }
  #xray-view { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
  #xray-canvas { max-width: 512px; aspect-ratio: 1; image-rendering: pixelated; border: 1px solid var(--line); }
  #live-log { font: 13px ui-monospace, monospace; white-space: pre; max-height: 12em; overflow: auto; background: #fafafa; border: 1px solid var(--line); padding: 0.3em; }
  .keys { color: #555; font-size: 0.9em; }
  [hidden] { display: none !important; }
  @media (max-width: 800px) {
    body { padding: 0.3em 0.5em; font-size: 14px; }
    .panels, #xray-view { grid-template-columns: minmax(0, 1fr); }
    #strip { height: 240px; }
    td, th { padding: 2px 4px; }
  }
</style>
<h1 id="heading">spikemed</h1>
<p id="notice">${notice}</p>
<p id="run">Loading the run...</p>
<div class="toolbar">
  <label><span id="input-label"></span> <select id="inputs"></select></label> <button id="classify" disabled>Classify</button>
  <label id="drop"><span id="files-label"></span> <input type="file" id="files" multiple></label>
</div>
<p id="status" role="status" aria-live="polite"></p>
<section id="ecg-view" hidden aria-label="ECG strip">
  <div class="toolbar">
    <div class="group" role="group" aria-label="zoom">
      <button id="zoom-out" title="zoom out (-)">&minus;</button><span id="zoom-label"></span><button id="zoom-in" title="zoom in (+)">+</button>
    </div>
    <div class="group go" role="group" aria-label="go to">
      <span class="pair"><button id="prev-V" title="previous V beat (Shift+V)">&larr; V</button><button id="next-V" title="next V beat (V)">next V &rarr;</button></span>
      <span class="pair"><button id="prev-S" title="previous S beat (Shift+S)">&larr; S</button><button id="next-S" title="next S beat (S)">next S &rarr;</button></span>
      <span class="pair"><button id="prev-D" title="previous disagreement (Shift+D)">&larr; &ne;</button><button id="next-D" title="next disagreement with the annotations (D)">next disagreement &rarr;</button></span>
    </div>
    <div class="group" role="group" aria-label="live mode">
      <button id="live" title="play the record through the network beat by beat (L)">&#9654; Live</button>
      <select id="live-speed" aria-label="live speed"><option value="1">real time</option><option value="10">10&times;</option><option value="60" selected>60&times;</option></select>
    </div>
  </div>
  <p id="training-note" class="training-note" role="note" hidden></p>
  <div class="legend" id="legend"></div>
  <canvas id="strip" tabindex="0" aria-label="ECG strip: arrow keys step between beats, Page Up and Page Down scroll, + and - zoom, Enter shows the beat"></canvas>
  <canvas id="overview" aria-label="the whole record: click to jump there"></canvas>
  <p class="keys">Keys: &larr;/&rarr; previous/next beat, PgUp/PgDn scroll a screen, Home/End, +/&minus; zoom, V/S/D next V, S or disagreement (Shift: previous), L live mode. Drag or scroll the strip; Ctrl+wheel zooms.</p>
  <div id="live-panel" hidden><h2>Live mode</h2><p id="live-status"></p><div id="live-log"></div></div>
  <div class="panels">
    <div class="panel" id="beat-panel" aria-live="polite"><h2>Beat</h2><p>Click a beat on the strip (or press Enter) to see it as the network sees it.</p></div>
    <div class="panel" id="summary-panel"></div>
  </div>
</section>
<section id="xray-view" hidden aria-label="chest X-ray">
  <div class="panel">
    <canvas id="xray-canvas" width="512" height="512" aria-label="the X-ray as the network reads it, with its occlusion map"></canvas>
    <label>evidence overlay <input type="range" id="overlay" min="0" max="100" value="50" aria-label="opacity of the evidence overlay"></label>
    <p id="xray-caption"></p>
  </div>
  <div class="panel" id="xray-probabilities"></div>
</section>
<div id="result"></div>
<script type="module" src="/dist/src/web/page.js"></script>
`;
}
