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
