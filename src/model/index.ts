export * from "./module.js";
export * from "./layers.js";
export * from "./neurons.js";
export * from "./bilstm.js";
export * from "./network.js";
export * from "./config.js";
export * from "./zoo.js";
export * from "./diagnostics.js";
export * as surrogates from "./surrogates.js";
