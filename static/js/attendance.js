// Live attendance dashboard: subscribes to the event's figures over /live and redraws them.
// Everything reaches the DOM through textContent (dom.js); the chart is a server-drawn SVG loaded as an <img>.
import { el, replaceChildren, timeOfDay } from "./dom.js";
import { liveAvailable, openLive, request } from "./live-connection.js";
import { errorText, t } from "./i18n.js";

var root = document.querySelector(".attendance[data-event-slug]");
if (root) { followAttendance(root); }

function followAttendance(root) {
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
    root.querySelectorAll("[data-figure]").forEach(function (figure) {
      var value = lookup(report, figure.dataset.figure);
      if (value !== undefined) figure.textContent = String(value);
    });
  }

  function renderSessions(report) {
    var tbody = document.getElementById("session-rows");
    var rows = report.sessions.map(function (s) {
      var tr = el("tr", { "data-session-id": String(s.id) });
      var asOf = Date.parse(report.as_of);
      var onNow = Date.parse(s.starts_at) <= asOf && asOf < Date.parse(s.ends_at);
      if (s.parent_id) tr.classList.add("child");
      if (onNow) tr.classList.add("current");
      var door = function (n) { return s.has_door_list ? n : "—"; };
      // The session's time was drawn by the server in the event's zone: keep it from the old row.
      var existing = tbody.querySelector('tr[data-session-id="' + s.id + '"] .event-time');
      var title = el("td");
      title.append(el("span", { className: "event-time" }, existing ? existing.textContent : ""), " " + s.title);
      if (onNow) { title.append(" ", el("span", { className: "badge live-badge" }, "on now")); }
      tr.appendChild(title);
      [s.now.online, door(s.now.on_site), s.peak.online, door(s.peak.on_site), s.peak.combined, s.unique,
       s.online, door(s.on_site), s.hybrid, s.countries.filter(function (c) { return c.code; }).length]
        .forEach(function (value) { tr.appendChild(el("td", {}, String(value))); });
      return tr;
    });
    replaceChildren(tbody, rows);
  }

  function renderCountries(report) {
    var list = document.getElementById("country-list");
    var items = report.countries.map(function (c) {
      var li = el("li");
      li.append(el("span", { className: "name" }, c.name), " ", el("span", { className: "count" }, c.count));
      return li;
    });
    replaceChildren(list, items);
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
    setStatus(t("Live · updated %(time)s", { time: timeOfDay(Date.now()) }), "live");
    root.dataset.asOf = report.as_of;
  }

  var initial = document.getElementById("attendance-initial");
  if (initial) {
    root.dataset.asOf = JSON.parse(initial.textContent).as_of;
    lastChartRefresh = Date.now();
  }

  if (!liveAvailable()) {
    setStatus(t("Live updates unavailable; reload the page for fresh figures."), "offline");
    return;
  }
  var socket = openLive({
    onConnect: function () {
      request(socket, "attendance:subscribe", { event_slug: slug }).then(function (ack) {
        if (!ack.ok && ack.error && ack.error.code === "timeout") { setStatus(t("No answer from the server; retrying…"), "offline"); return; }
        if (!ack.ok) {
          setStatus(t("Live updates refused: %(reason)s", { reason: errorText(ack.error, t("unknown error")) }), "offline");
          return;
        }
        render(ack.report);
      });
    },
    onDisconnect: function () { setStatus(t("Connection lost; reconnecting…"), "offline"); },
    onConnectError: function () { setStatus(t("Cannot reach the server; retrying…"), "offline"); },
  });
  socket.on("attendance:update", render);
}
