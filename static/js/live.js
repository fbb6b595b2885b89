/* window.Live: the one connection of a live page to the /live namespace (see docs/protocol.md).
 *
 *   Live.ready            Promise resolved after the first successful join
 *   Live.sessionId        the room this page is in now
 *   Live.socket           the socket.io socket on /live
 *   Live.emit(ev, data)   Promise<ack>; never rejects ({ok:false,error:{code:"timeout"}} on timeout)
 *   Live.on(ev, fn)       server broadcasts
 *   Live.onState(fn)      fn(state) after every (re)join: rebuild the UI from it
 *   Live.switchRoom(id)   leave the current room and join another; fires onState again
 *   Live.me               {id, name, is_moderator}
 *
 * python-socketio does not replay what was missed while disconnected, so after every reconnect the
 * page joins again and everyone rebuilds from the fresh state snapshot.
 */
(function () {
  "use strict";

  var body = document.body;
  var ACK_TIMEOUT_MS = 10000;
  var stateHandlers = [];
  var lastState = null;
  var resolveReady;
  var everJoined = false;

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
    var el = document.getElementById("live-banner");
    if (!el) {
      el = document.createElement("div");
      el.id = "live-banner";
      el.className = "live-banner";
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      (document.querySelector("main") || body).prepend(el);
    }
    if (!text) {
      el.hidden = true;
      el.textContent = "";
      return;
    }
    el.textContent = text;
    el.dataset.kind = kind || "warn";
    el.hidden = false;
  }
  Live.banner = banner;

  Live.emit = function (event, payload) {
    return new Promise(function (resolve) {
      Live.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload || {}, function (err, ack) {
        if (err) {
          resolve({ ok: false, error: { code: "timeout", message: "the server did not answer in time" } });
        } else {
          resolve(ack || { ok: false, error: { code: "no_reply", message: "empty reply" } });
        }
      });
    });
  };

  Live.on = function (event, handler) {
    Live.socket.on(event, handler);
  };

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
    return Live.emit("join", { session_id: sessionId }).then(function (ack) {
      if (ack.ok) {
        banner(null);
        applyState(ack.state);
      } else {
        banner("Could not enter the room: " + (ack.error && ack.error.message || "unknown error"), "error");
      }
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
    document.querySelectorAll("[data-presence]").forEach(function (el) {
      var value = presence[el.dataset.presence];
      el.textContent = value === undefined ? "–" : String(value);
    });
  }

  function updateRoom(room) {
    var closed = !!room.closed;
    document.querySelectorAll("[data-room-closed]").forEach(function (el) { el.hidden = !closed; });
    body.classList.toggle("room-closed", closed);
  }

  function connect() {
    var socket = io("/live", { transports: ["websocket", "polling"], withCredentials: true });
    Live.socket = socket;

    socket.on("connect", function () {
      join(Live.sessionId);
    });
    socket.on("disconnect", function (reason) {
      banner("Connection lost — reconnecting…", "warn");
      if (reason === "io server disconnect") {
        socket.connect();  // the server closed it: socket.io does not retry by itself then
      }
    });
    socket.on("connect_error", function (err) {
      var data = err && err.data;
      if (data && (data.code === "unauthenticated" || data.code === "invalid_token")) {
        banner("You are signed out. Sign in again to rejoin the room.", "error");
      } else {
        banner("Connection lost — reconnecting…", "warn");
      }
    });
    socket.on("presence", updatePresence);
    socket.on("room:updated", function (room) {
      if (room.session_id === Live.sessionId) { updateRoom(room); }
    });
  }

  window.Live = Live;
  connect();
})();
