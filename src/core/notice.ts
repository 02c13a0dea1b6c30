/**
 * The line every user-facing output carries (reports, energy files, `predict`, the web page): the
 * one wording, imported wherever it is shown, never copied.
 */
export const RESEARCH_NOTICE = "spikemed is research software, not a medical device: its results must not be used to diagnose or treat anyone.";
