/* Live updates for screen readers, without flooding them during a storm.
 *
 * One polite live region per page (#live-announcer, visually hidden, in the templates) says what
 * changed. The lists themselves (questions, chat, polls, counts) are not live regions: redrawn on
 * every broadcast, they would make a screen reader read for as long as the storm lasts. Instead:
 *
 *   announcer().count("questions", (n) => nt("%(num)s new question", "%(num)s new questions", n))
 *   announcer().say(t("Poll opened: %(title)s", { title }), "poll")
 *
 * Announcements wait a moment (DELAY_MS) to gather the start of a burst, then go out at most once
 * every GAP_MS: a burst of 30 questions is read as "30 new questions" (or two sums), not 30 times.
 * `say` keeps the latest text per key (a poll opened then closed is read as closed); `count` adds up
 * until the next announcement and its formatter may return "" (nothing worth saying for that n).
 */
const DELAY_MS = 1000;
const GAP_MS = 3000;

export function createAnnouncer(region, options) {
  const delay = (options && options.delay) || DELAY_MS;
  const gap = (options && options.gap) || GAP_MS;
  const messages = new Map();
  const counts = new Map();
  let timer = null;
  let lastAt = -Infinity;

  function text() {
    const parts = [];
    counts.forEach(function (entry) {
      const said = entry.format(entry.n);
      if (said) { parts.push(said); }
    });
    messages.forEach(function (said) { parts.push(said); });
    return parts.join(" ");
  }

  function flush() {
    timer = null;
    const said = text();
    messages.clear();
    counts.clear();
    if (!said || !region) { return; }
    lastAt = performance.now();
    // The same words again must still be read: a changed text node is what screen readers notice.
    region.textContent = region.textContent === said ? said + "\u00a0" : said;
  }

  function schedule() {
    if (timer !== null) { return; }
    const wait = Math.max(delay, lastAt + gap - performance.now());
    timer = setTimeout(flush, wait);
  }

  return {
    say: function (said, key) {
      if (!said) { return; }
      messages.delete(key || said);  // re-inserted last: the newest news is read last
      messages.set(key || said, said);
      schedule();
    },
    count: function (key, format, n) {
      const entry = counts.get(key) || { n: 0, format: format };
      entry.n += n === undefined ? 1 : n;
      entry.format = format;
      counts.set(key, entry);
      schedule();
    },
    flush: function () { if (timer !== null) { clearTimeout(timer); flush(); } },
  };
}

let shared = null;

/* The page's announcer (a silent one where the page has no #live-announcer). */
export function announcer(options) {
  if (!shared) { shared = createAnnouncer(document.getElementById("live-announcer"), options); }
  return shared;
}
