/* A matchmaking meeting's call page: calls.js on a /live socket of its own, keyed by the meeting.
 * The page joins no live room: only the call's events (`call:*` with `meeting_id`) reach it. */
import { openLive, request } from "./live-connection.js";
import { startCalls } from "./calls.js";
import { setText, show } from "./dom.js";
import { t } from "./i18n.js";

var root = document.getElementById("call");
if (root && root.dataset.meetingId) {
  var meetingId = Number(root.dataset.meetingId);
  var banner = document.getElementById("live-banner");
  var reconnected = [];
  var connectedBefore = false;
  function say(text) { if (banner) { setText(banner, text || ""); show(banner, !!text); } }
  var socket = openLive({
    onConnect: function () {
      say(null);
      if (connectedBefore) { reconnected.forEach(function (fn) { fn(); }); }
      connectedBefore = true;
    },
    onDisconnect: function () { say(t("Connection lost — reconnecting…")); },
    onConnectError: function (signedOut) {
      say(signedOut ? t("You are signed out. Sign in again to join the call.") : t("Connection lost — reconnecting…"));
    },
    reopenAfterServerClose: true
  });
  startCalls(root, {
    key: function () { return { meeting_id: meetingId }; },
    emit: function (event, payload) { return request(socket, event, payload); },
    on: function (event, handler) { socket.on(event, handler); },
    isModerator: function () { return false; },
    onReconnect: function (fn) { reconnected.push(fn); }
  });
}
