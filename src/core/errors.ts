/**
 * An error meant for the person running spikemed: its message names the file, option or op
 * and the fix. The command line prints only the message (no stack trace) for these.
 */
export class SpikemedError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n  fix: ${hint}` : message);
    this.name = "SpikemedError";
  }
}
