/* Live: the room connection of the live, moderate and screen pages (see docs/protocol.md), built on
 * live-connection.js. Modules import it; tests and the browser console reach it as window.Live.
 *
 *   Live.ready            Promise resolved after the first successful join
 *   Live.sessionId        the room this page is in now
 *   Live.socket           the socket.io socket on /live
 *   Live.emit(ev, data)   Promise<ack>; never rejects ({ok:false,error:{code:"timeout"}} on timeout)
 *   Live.on(ev, fn)       server broadcasts (held back while a join is on its way, see below)
 *   Live.onState(fn)      fn(state) after every (re)join: rebuild the UI from it
 *   Live.switchRoom(id)   leave the current room and join another; fires onState again
 *   Live.me               {id, name, is_moderator}
 *
 * python-socketio does not replay what was missed while disconnected, so after every reconnect the
 * page joins again and everyone rebuilds from the fresh state snapshot.
 *
 * The server puts the socket in the room before it reads the snapshot, so a change may arrive as a
 * broadcast before the join's ack and be missing from the (possibly shared, a moment older) snapshot:
 * broadcasts that arrive while a join is on its way are held back and handed to their handlers after
 * the state was applied (stores upsert by id, so one already in the snapshot changes nothing).
 */
import { el, setText, show } from "./dom.js";
import { openLive, request } from "./live-connection.js";
import { errorText, t } from "./i18n.js";

var body = document.body;
var stateHandlers = [];
var lastState = null;
var resolveReady;
var everJoined = false;
var joining = 0;       // joins on their way
var heldBack = [];     // [handler, args] of the broadcasts that arrived meanwhile

var Live = {
  sessionId: Number(body.dataset.sessionId),
  eventSlug: body.dataset.eventSlug,
  me: {
    id: Number(body.dataset.userId),
    name: body.dataset.userName || "",
    is_moderator: body.dataset.moderator === "1"
  },
  ready: new Promise(function (resolve) { resolveReady = resolve; }),
  socket: null,
  state: function () { return lastState; }
};

function banner(text, kind) {
  var box = document.getElementById("live-banner");
  if (!box) {
    box = el("div", { id: "live-banner", className: "live-banner", role: "status", "aria-live": "polite" });
    (document.querySelector("main") || body).prepend(box);
  }
  setText(box, text);
  if (text) { box.dataset.kind = kind || "warn"; }
  show(box, !!text);
}
Live.banner = banner;

Live.emit = function (event, payload) {
  return request(Live.socket, event, payload);
};

Live.on = function (event, handler) {
  Live.socket.on(event, function () {
    if (joining > 0) {
      heldBack.push([handler, Array.prototype.slice.call(arguments)]);
      return;
    }
    handler.apply(null, arguments);
  });
};

function replayHeldBack() {
  var held = heldBack;
  heldBack = [];
  held.forEach(function (item) {
    try {
      item[0].apply(null, item[1]);
    } catch (e) {
      if (window.console) { console.error("Live broadcast handler failed", e); }
    }
  });
}

Live.onState = function (handler) {
  stateHandlers.push(handler);
  if (lastState) {
    safely(handler, lastState);
  }
};

function safely(handler, state) {
  try {
    handler(state);
  } catch (e) {
    if (window.console) { console.error("Live.onState handler failed", e); }
  }
}

function applyState(state) {
  lastState = state;
  Live.sessionId = state.session.id;
  body.dataset.sessionId = String(state.session.id);
  Live.me.is_moderator = !!state.is_moderator;
  updatePresence(state.presence);
  updateRoom(state.session);
  stateHandlers.forEach(function (h) { safely(h, state); });
  if (!everJoined) {
    everJoined = true;
    resolveReady(state);
  }
}

function join(sessionId) {
  // The hall's projector screen follows the room without counting as a person online.
  var payload = document.body.classList.contains("screen-page")
    ? { session_id: sessionId, screen: true } : { session_id: sessionId };
  joining += 1;
  return Live.emit("join", payload).then(function (ack) {
    joining -= 1;
    if (ack.ok) {
      banner(null);
      applyState(ack.state);
    } else {
      banner(t("Could not enter the room: %(reason)s", { reason: errorText(ack.error, t("unknown error")) }), "error");
    }
    if (joining === 0) { replayHeldBack(); }
    return ack;
  });
}

Live.switchRoom = function (sessionId) {
  var from = Live.sessionId;
  var leaving = from && from !== sessionId
    ? Live.emit("leave", { session_id: from })
    : Promise.resolve({ ok: true });
  return leaving.then(function () { return join(Number(sessionId)); });
};

/* The counts line and the closed note exist on every live page. */
function updatePresence(presence) {
  if (!presence || presence.session_id !== Live.sessionId) { return; }
  document.querySelectorAll("[data-presence]").forEach(function (count) {
    var value = presence[count.dataset.presence];
    setText(count, value === undefined ? "–" : String(value));
  });
}

function updateRoom(room) {
  var closed = !!room.closed;
  document.querySelectorAll("[data-room-closed]").forEach(function (note) { show(note, closed); });
  body.classList.toggle("room-closed", closed);
}

function connect() {
  var socket = openLive({
    onConnect: function () { join(Live.sessionId); },
    onDisconnect: function () { banner(t("Connection lost — reconnecting…"), "warn"); },
    onConnectError: function (signedOut) {
      if (signedOut) {
        banner(t("You are signed out. Sign in again to rejoin the room."), "error");
      } else {
        banner(t("Connection lost — reconnecting…"), "warn");
      }
    },
    reopenAfterServerClose: true
  });
  Live.socket = socket;
  // Both go through Live.on: one that arrives before the join's ack is applied after its state.
  Live.on("presence", updatePresence);
  Live.on("room:updated", function (room) {
    if (room.session_id === Live.sessionId) { updateRoom(room); }
  });
}

window.Live = Live;
connect();

export default Live;
