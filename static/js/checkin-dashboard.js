// Staff dashboard: live per-list numbers from the `checkin:stats` broadcast on /live.
(function () {
  "use strict";
  const table = document.getElementById("stats");
  const state = document.getElementById("live-state");
  if (!table || typeof io === "undefined") return;
  const eventId = Number(table.dataset.eventId);
  const FIELDS = ["checked_in", "inside_now", "capacity", "scans_per_minute", "refused_total", "late_uploads", "conflicts"];

  function render(stats) {
    let row = table.querySelector('tr[data-list-id="' + stats.list_id + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.listId = String(stats.list_id);
      const head = document.createElement("th");
      head.scope = "row";
      head.textContent = stats.name;
      row.appendChild(head);
      for (const field of FIELDS) {
        const cell = document.createElement("td");
        cell.dataset.field = field;
        row.appendChild(cell);
      }
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
    const list = document.getElementById("conflicts");
    list.replaceChildren();
    if (!conflicts.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = "None.";
      list.appendChild(none);
    }
    for (const c of conflicts) {
      const item = document.createElement("li");
      item.className = "card";
      const when = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "?");
      item.textContent = (c.attendee ? c.attendee.name : "Unknown badge") + " — gate " + (c.gate || "?") + " at "
        + when(c.scanned_at) + "; first entry at gate " + (c.first_checked_in_gate || "?") + " ("
        + when(c.first_checked_in_at) + ").";
      list.appendChild(item);
    }
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

  const socket = io("/live", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    socket.emit("checkin:watch", { event_id: eventId }, (ack) => {
      if (ack && ack.ok) {
        state.textContent = "Live";
        ack.lists.forEach(render);
      } else {
        state.textContent = "Not live: " + ((ack && ack.error && ack.error.message) || "refused");
      }
    });
  });
  socket.on("disconnect", () => { state.textContent = "Reconnecting…"; });
  socket.on("checkin:stats", (payload) => { if (payload.event_id === eventId) render(payload.list); });
})();
