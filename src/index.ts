/**
 * spikemed as a library, in Node.js: each step of the pipeline under its own name, as the folders
 * lay it out (data -> encode -> model -> train / eval -> energy / export). The compute core's and
 * the models' names are also at the top level. In a browser, import "spikemed/web" instead.
 *
 * @module spikemed
 */
export * from "./core/index.js";
export * from "./model/index.js";
export * as ecg from "./data/ecg/index.js";
export * as cxr from "./data/cxr/index.js";
export * as encode from "./encode/index.js";
export * as train from "./train/index.js";
export * as evaluation from "./eval/index.js";
export * as energy from "./energy/index.js";
export * as experiment from "./experiment/index.js";
export * as nir from "./export/index.js";
