export * from "./elementwise.js";
export * from "./shape.js";
export * from "./reduce.js";
export * from "./linalg.js";
export * from "./conv.js";
export * from "./pool.js";
export * from "./nn.js";
export * from "./spiking.js";
