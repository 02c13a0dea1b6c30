import { SpikemedError } from "../../core/errors.js";

/** One input file that cannot be used as an image: the loader skips it or fails the run with it. */
export class BadImageFileError extends SpikemedError {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = "BadImageFileError";
  }
}
