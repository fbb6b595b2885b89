// Shows instants in the viewer's own time zone beside the event's (server-rendered) times.
import { t } from "./i18n.js";

const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
const zoneName = (date) => {
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
    .formatToParts(date).find((p) => p.type === "timeZoneName");
  return part ? part.value : viewerZone;
};
const sameDay = (a, zoneA, b) =>
  a.toLocaleDateString("en-CA", { timeZone: zoneA }) === b.toLocaleDateString("en-CA");

const fillRanges = () => document.querySelectorAll('[data-local="range"]').forEach((el) => {
  const eventZone = el.dataset.eventTz;
  if (eventZone === viewerZone) return; // same zone: nothing to add
  const start = new Date(el.dataset.start);
  const end = new Date(el.dataset.end);
  let text = `${timeFmt.format(start)}–${timeFmt.format(end)} ${zoneName(start)}`;
  if (!sameDay(start, eventZone, start)) text = `${dayFmt.format(start)} ${text}`;
  // Isolated left to right (U+2066…U+2069), so an Arabic page does not read the range backwards.
  el.textContent = t("(your time: %(time)s)", { time: "\u2066" + text + "\u2069" });
  el.hidden = false;
});
fillRanges();
// The agenda redraws its days when a session moves (agenda-live.js): fill the new ones in too.
document.addEventListener("agenda:redrawn", fillRanges);
document.querySelectorAll('[data-local="zone"]').forEach((el) => { el.textContent = viewerZone; });
document.querySelectorAll('[data-local="zone-note"]').forEach((el) => {
  const anyRange = document.querySelector('[data-local="range"]');
  if (!anyRange || anyRange.dataset.eventTz !== viewerZone) el.hidden = false;
});
document.querySelectorAll('time[data-local="datetime"], time[data-local="date"]').forEach((el) => {
  const when = new Date(el.getAttribute("datetime"));
  el.textContent = el.dataset.local === "date" ? when.toLocaleDateString() : when.toLocaleString();
});
