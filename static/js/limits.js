/* The limits the server enforces (lengths, counts, durations), as conference/wire.py states them.
 *
 * The server sends them with every page (`<body data-limits="{...}">`), so no script repeats a number:
 * `import { LIMITS } from "./limits.js"; LIMITS.question_max` (see wire.LIMITS for the names).
 */
function read() {
  try {
    return JSON.parse(document.body.dataset.limits || "{}");
  } catch (_) {
    return {};
  }
}

export const LIMITS = Object.freeze(read());
