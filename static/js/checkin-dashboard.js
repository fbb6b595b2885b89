// Staff dashboard: live per-list numbers from the `checkin:stats` broadcast on /live.
import { el, replaceChildren, timeOfDay } from "./dom.js";
import { liveAvailable, openLive, request } from "./live-connection.js";
import { errorText, t } from "./i18n.js";

const table = document.getElementById("stats");
const state = document.getElementById("live-state");
if (table && liveAvailable()) { followCheckins(); }

function followCheckins() {
  const eventId = Number(table.dataset.eventId);
  const FIELDS = ["checked_in", "inside_now", "capacity", "scans_per_minute", "refused_total", "late_uploads", "conflicts"];

  function render(stats) {
    let row = table.querySelector('tr[data-list-id="' + stats.list_id + '"]');
    if (!row) {
      row = el("tr", { "data-list-id": String(stats.list_id) });
      row.appendChild(el("th", { scope: "row" }, stats.name));
      for (const field of FIELDS) { row.appendChild(el("td", { "data-field": field })); }
      table.tBodies[0].appendChild(row);
    }
    for (const field of FIELDS) {
      const cell = row.querySelector('[data-field="' + field + '"]');
      const value = stats[field];
      cell.textContent = value === null || value === undefined ? "—" : String(value);
    }
    row.classList.add("flash-row");
    setTimeout(() => row.classList.remove("flash-row"), 800);
  }

  function renderConflicts(conflicts) {
    const when = (iso) => (iso ? timeOfDay(iso) : "?");
    const items = conflicts.map((c) => el("li", { className: "card" },
      t("%(name)s — gate %(gate)s at %(time)s; first entry at gate %(first_gate)s (%(first_time)s).", {
        name: c.attendee ? c.attendee.name : t("Unknown badge"), gate: c.gate || "?", time: when(c.scanned_at),
        first_gate: c.first_checked_in_gate || "?", first_time: when(c.first_checked_in_at) })));
    replaceChildren(document.getElementById("conflicts"), items.length ? items : [el("li", { className: "muted" }, t("None."))]);
  }

  // Scans per minute decays with time and refusals move no broadcast: refresh everything now and then.
  async function refresh() {
    try {
      const response = await fetch(table.dataset.statsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      data.lists.forEach(render);
      renderConflicts(data.conflicts);
    } catch (err) { /* offline: the next round retries */ }
  }
  setInterval(refresh, 15000);

  const socket = openLive({
    onConnect: () => request(socket, "checkin:watch", { event_id: eventId }).then((ack) => {
      if (ack.ok) {
        state.textContent = t("Live");
        ack.lists.forEach(render);
      } else {
        state.textContent = t("Not live: %(reason)s", { reason: errorText(ack.error, t("refused")) });
      }
    }),
    onDisconnect: () => { state.textContent = t("Reconnecting…"); },
  });
  socket.on("checkin:stats", (payload) => { if (payload.event_id === eventId) render(payload.list); });
}
