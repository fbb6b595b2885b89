// Live attendance dashboard: subscribes to the event's figures over /live and redraws them.
// Everything reaches the DOM through textContent; the chart is a server-drawn SVG loaded as an <img>.
(function () {
  "use strict";
  var root = document.querySelector(".attendance[data-event-slug]");
  if (!root) return;
  var slug = root.dataset.eventSlug;
  var statusLine = document.getElementById("attendance-status");
  var timeline = document.getElementById("timeline");
  var lastChartRefresh = 0;

  function lookup(obj, path) {
    return path.split(".").reduce(function (value, key) { return value == null ? undefined : value[key]; }, obj);
  }

  function setStatus(text, state) {
    statusLine.textContent = text;
    statusLine.classList.toggle("live", state === "live");
    statusLine.classList.toggle("offline", state === "offline");
  }

  function renderFigures(report) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var value = lookup(report, el.dataset.figure);
      if (value !== undefined) el.textContent = String(value);
    });
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = String(text);
    return td;
  }

  function renderSessions(report) {
    var tbody = document.getElementById("session-rows");
    var rows = report.sessions.map(function (s) {
      var tr = document.createElement("tr");
      tr.dataset.sessionId = String(s.id);
      var asOf = Date.parse(report.as_of);
      var onNow = Date.parse(s.starts_at) <= asOf && asOf < Date.parse(s.ends_at);
      if (s.parent_id) tr.classList.add("child");
      if (onNow) tr.classList.add("current");
      var door = function (n) { return s.has_door_list ? n : "—"; };
      var title = document.createElement("td");
      var time = document.createElement("span");
      time.className = "event-time";
      var existing = tbody.querySelector('tr[data-session-id="' + s.id + '"] .event-time');
      time.textContent = existing ? existing.textContent : "";
      title.appendChild(time);
      title.appendChild(document.createTextNode(" " + s.title));
      if (onNow) {
        var badge = document.createElement("span");
        badge.className = "badge live-badge";
        badge.textContent = "on now";
        title.appendChild(document.createTextNode(" "));
        title.appendChild(badge);
      }
      tr.appendChild(title);
      [s.now.online, door(s.now.on_site), s.peak.online, door(s.peak.on_site), s.peak.combined, s.unique,
       s.online, door(s.on_site), s.hybrid, s.countries.filter(function (c) { return c.code; }).length]
        .forEach(function (value) { tr.appendChild(cell(value)); });
      return tr;
    });
    tbody.replaceChildren.apply(tbody, rows);
  }

  function renderCountries(report) {
    var list = document.getElementById("country-list");
    var items = report.countries.map(function (c) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = c.name;
      var count = document.createElement("span");
      count.className = "count";
      count.textContent = String(c.count);
      li.appendChild(name);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(count);
      return li;
    });
    list.replaceChildren.apply(list, items);
  }

  function refreshChart() {
    // The chart moves by quarter hours: reloading it at most once a minute is plenty.
    var now = Date.now();
    if (!timeline || now - lastChartRefresh < 60000) return;
    lastChartRefresh = now;
    timeline.src = root.dataset.timelineUrl + "&t=" + now;
  }

  function render(report) {
    renderFigures(report);
    renderSessions(report);
    renderCountries(report);
    refreshChart();
    setStatus("Live · updated " + new Date().toLocaleTimeString(), "live");
    root.dataset.asOf = report.as_of;
  }

  var initial = document.getElementById("attendance-initial");
  if (initial) {
    root.dataset.asOf = JSON.parse(initial.textContent).as_of;
    lastChartRefresh = Date.now();
  }

  if (typeof io !== "function") {
    setStatus("Live updates unavailable; reload the page for fresh figures.", "offline");
    return;
  }
  var socket = io("/live", { transports: ["websocket", "polling"] });
  socket.on("connect", function () {
    socket.timeout(10000).emit("attendance:subscribe", { event_slug: slug }, function (err, ack) {
      if (err) { setStatus("No answer from the server; retrying…", "offline"); return; }
      if (!ack || !ack.ok) {
        setStatus("Live updates refused: " + ((ack && ack.error && ack.error.message) || "unknown error"), "offline");
        return;
      }
      render(ack.report);
    });
  });
  socket.on("attendance:update", render);
  socket.on("disconnect", function () { setStatus("Connection lost; reconnecting…", "offline"); });
  socket.on("connect_error", function () { setStatus("Cannot reach the server; retrying…", "offline"); });
})();
