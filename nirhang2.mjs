import { readNirFile } from "./dist/src/export/nir-file.js";
const t0 = Date.now();
try { await readNirFile("/tmp/hang.nir"); console.log("ok"); } catch (e) { console.log(e.message.slice(0, 200)); }
console.log(Date.now() - t0, "ms");
