/* The agenda follows the programme while it is open: when a session moves (or changes room, title or
 * stream), the server sends `session:updated` to the event's agenda watchers on /live, and this page
 * fetches itself again and swaps in the new days, so the session lands at its new time and place with
 * the same server-rendered markup (time zones, tracks, badges). Only for signed-in visitors: a /live
 * socket needs a sign-in (see docs/protocol.md, "Agenda pages").
 *
 * The fetched page is parsed by DOMParser and its nodes adopted: user text was escaped by Jinja on
 * the server and is never assigned as HTML here.
 */
import { liveAvailable, openLive, request } from "./live-connection.js";
import { localized, t } from "./i18n.js";

var eventId = Number(document.body.dataset.watchEventId);
var days = document.getElementById("agenda-days");
var status = document.getElementById("agenda-live-status");
if (eventId && days && liveAvailable()) { followAgenda(); }

function followAgenda() {
  var pending = [];
  var timer = null;

  function watch(socket) {
    request(socket, "agenda:watch", { event_id: eventId });  // ack: ok or not_found, nothing to show
  }

  function redraw() {
    var moved = pending;
    pending = [];
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("agenda-days");
        if (!fresh) { return; }
        var nodes = Array.from(fresh.childNodes).map(function (node) { return document.adoptNode(node); });
        days.replaceChildren.apply(days, nodes);
        moved.forEach(function (update) {
          var item = days.querySelector('[data-session-id="' + Number(update.id) + '"]');
          if (item) { item.classList.add("agenda-moved"); }
        });
        document.dispatchEvent(new CustomEvent("agenda:redrawn"));
        var last = moved[moved.length - 1];
        status.textContent = moved.length === 1
          ? (last.room ? t("Updated just now: “%(title)s” (%(room)s).", { title: localized(last, "title"), room: last.room }) : t("Updated just now: “%(title)s”.", { title: localized(last, "title") }))
          : t("The agenda was updated just now.");
        status.hidden = false;
      })
      .catch(function () {
        status.textContent = t("The programme changed. Reload the page to see the new times.");
        status.hidden = false;
      });
  }

  var socket = openLive({ onConnect: watch });
  socket.on("session:updated", function (update) {
    if (update.event_id !== eventId) { return; }
    pending.push(update);
    clearTimeout(timer);
    timer = setTimeout(redraw, 250);  // several sessions moved together: one redraw
  });
}
