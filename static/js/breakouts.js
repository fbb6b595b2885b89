/* Breakout rooms on the live page (participants) and in the moderator console.
 *
 * Built on Live (static/js/live.js): the join state's `breakouts` part draws everything,
 * broadcasts keep it current, Live.switchRoom() moves this tab into a breakout and back.
 * User text enters the DOM through textContent only (dom.js).
 */
import { el, minutesSeconds, replaceChildren, setText, show, smallButton } from "./dom.js";
import { LIMITS } from "./limits.js";
import Live from "./live.js";
import { errorText, languageName, t } from "./i18n.js";

var root = document.getElementById("breakouts");
if (root) { startBreakouts(root); }

function startBreakouts(root) {
  var moderatorView = root.dataset.breakouts === "moderate";
  var state = null;          // the `breakouts` part of the last join state, kept current by broadcasts
  var deadline = null;       // performance.now() at which the running round ends
  var autoMovedRound = null; // a round we already moved this tab into, so leaving by hand sticks

  function $(name) { return root.querySelector('[data-bo="' + name + '"]'); }
  function all(name) { return root.querySelectorAll('[data-bo="' + name + '"]'); }
  function fail(ack) { setText($("error"), ack && !ack.ok ? errorText(ack.error) : ""); return !(ack && ack.ok); }

  function running() { return !!(state && state.round && state.round.status === "running"); }
  function roundId() { return state && state.round ? state.round.id : null; }
  function inBreakout() { return !!(state && state.in_breakout); }

  function setDeadline(remaining) {
    deadline = remaining == null ? null : performance.now() + remaining * 1000;
  }

  function tick() {
    if (!running() || deadline == null) { show($("countdown"), false); show($("warning"), false); return; }
    var left = (deadline - performance.now()) / 1000;
    show($("countdown"), true);
    setText($("clock"), minutesSeconds(Math.round(left)));
    show($("warning"), left <= 60);
  }
  setInterval(tick, 1000);

  function roomById(id) {
    return ((state && state.rooms) || []).filter(function (r) { return r.id === id; })[0] || null;
  }

  function describeStatus() {
    if (!state || !state.round) return moderatorView ? t("No breakout round yet.") : "";
    var round = state.round;
    if (round.status === "draft") return t("Round prepared (%(mode)s), not started yet.", { mode: round.mode.replace("_", "-") });
    if (round.status === "running") {
      if (inBreakout()) {
        var here = (state.rooms || []).filter(function (r) { return r.session_id === state.in_breakout; })[0];
        return (here ? t("You are in the breakout room “%(room)s”.", { room: here.name }) : t("You are in a breakout room."));
      }
      return t("Breakout rooms are open.");
    }
    return t("The breakout round has ended; everyone is back in the main room.");
  }

  function renderParticipant() {
    root.hidden = !(state && state.round && (running() || inBreakout()));
    setText($("status"), describeStatus());
    var mine = state && state.my_assignment;
    setText($("mine"), mine && running() ? (mine.source === "assigned" ? t("Your room: %(room)s (assigned by the moderators)", { room: mine.name }) : t("Your room: %(room)s", { room: mine.name })) : "");
    var chooser = $("chooser");
    var mayChoose = running() && !inBreakout() && state.round.mode !== "assigned" &&
      !(state.round.mode === "mixed" && mine && mine.source === "assigned");
    show(chooser, mayChoose);
    if (mayChoose) renderChoices(mine);
    show($("inside"), running() && inBreakout());
  }

  function renderChoices(mine) {
    var box = $("choices");
    var picked = box.querySelector("input:checked");
    var wanted = picked ? Number(picked.value) : (mine ? mine.room_id : null);
    replaceChildren(box);
    state.rooms.forEach(function (room) {
      var label = el("label", { className: "breakout-choice" });
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "breakout-room";
      input.value = room.id;
      input.checked = room.id === wanted;  // one's assigned room is preselected
      input.disabled = room.full && room.id !== (mine && mine.room_id);
      label.appendChild(input);
      var capacity = room.capacity ? room.taken + "/" + room.capacity : room.taken + "";
      label.appendChild(el("span", {}, " " + room.name + " (" + languageName(room.language) + ") \u2014 " + capacity + (room.full ? ", " + t("full") : "")));
      box.appendChild(label);
    });
  }

  function renderModerator() {
    root.hidden = false;
    setText($("status"), describeStatus());
    var round = state && state.round;
    var open = !!(round && round.status !== "recalled");
    show($("create-form"), !open);
    show($("round"), open);
    var draft = !!(round && round.status === "draft");
    // Prefill the planned duration when the Start controls appear, not over what was typed since.
    if (draft && $("start-box").hidden) $("start-duration").value = Math.max(1, Math.round(round.duration_s / 60));
    show($("start-box"), draft);
    all("extend").forEach(function (b) { show(b, running()); });
    show($("recall"), open);
    setText($("recall"), draft ? t("Discard this round") : t("Recall everyone"));
    show($("message-form"), running());
    show($("back"), inBreakout());
    var body = $("rooms");
    replaceChildren(body);
    ((state && state.rooms) || []).forEach(function (room) {
      var tr = document.createElement("tr");
      tr.appendChild(el("td", {}, room.name));
      tr.appendChild(el("td", {}, languageName(room.language)));
      tr.appendChild(el("td", {}, room.capacity ? room.taken + "/" + room.capacity : room.taken));
      tr.appendChild(el("td", {}, room.joined));
      var cell = document.createElement("td");
      if (running() && room.session_id !== Live.sessionId) {
        cell.appendChild(smallButton(t("Drop in"), "secondary", function () { enter(room.id); }));
      }
      tr.appendChild(cell);
      body.appendChild(tr);
    });
    renderRecord(state && state.record);
    var csv = $("record-csv");
    if (csv && root.dataset.recordCsv) csv.href = root.dataset.recordCsv;
  }

  function renderRecord(record) {
    var box = $("record");
    replaceChildren(box);
    var anyone = (record || []).some(function (room) { return room.members.length; });
    show($("record-box"), anyone && state.round && !!state.round.started_at);  // a discarded draft has no record
    (record || []).forEach(function (room) {
      var details = el("details");
      details.open = room.members.length <= 12;  // long lists stay folded: the CSV has everything
      details.appendChild(el("summary", {}, room.name + " (" + room.members.length + ")"));
      var list = el("ul");
      room.members.forEach(function (m) {
        var item = m.name + (m.country ? " \u00b7 " + m.country : "") + (m.joined_at ? "" : " \u00b7 did not go in");
        list.appendChild(el("li", {}, item));
      });
      details.appendChild(list);
      box.appendChild(details);
    });
  }

  function render() {
    if (moderatorView) renderModerator(); else renderParticipant();
    tick();
  }

  // --- moving between rooms -----------------------------------------------------------------

  function enter(roomId) {
    var payload = { round_id: roundId() };
    if (roomId != null) payload.room_id = roomId;
    return Live.emit("breakout:join", payload).then(function (ack) {
      if (fail(ack)) return;
      if (ack.my_assignment) state.my_assignment = ack.my_assignment;
      autoMovedRound = roundId();
      return Live.switchRoom(ack.session_id);
    });
  }

  function maybeMoveIn() {
    // Assigned people go to their room by themselves; in self-select they choose (preselected).
    if (moderatorView || !running() || inBreakout() || autoMovedRound === roundId()) return;
    var mine = state.my_assignment;
    if (!mine && state.round.mode === "assigned") {
      // An assignment may have been missed while offline: ask; "not_assigned" just means wait.
      autoMovedRound = roundId();
      Live.emit("breakout:join", { round_id: roundId() }).then(function (ack) {
        if (ack.ok) { state.my_assignment = ack.my_assignment; Live.switchRoom(ack.session_id); }
        else if (ack.error && ack.error.code === "not_assigned") {
          autoMovedRound = null;
          setText($("mine"), t("The moderators have not given you a room yet."));
        } else { fail(ack); }
      });
      return;
    }
    if (!mine) return;
    if (state.round.mode === "assigned" || (state.round.mode === "mixed" && mine.source === "assigned")) {
      autoMovedRound = roundId();
      enter(null);
    }
  }

  function backToMain() {
    if (state && Live.sessionId !== state.main_session_id) Live.switchRoom(state.main_session_id);
  }

  // --- state and broadcasts -----------------------------------------------------------------

  // Moving into a breakout (or back) rebuilds the page for another room: the focus goes to the page's
  // heading, which now names that room, so a keyboard or screen-reader user starts from there.
  var shownRoom = null;
  function focusHeadingAfterMove() {
    var moved = shownRoom !== null && shownRoom !== Live.sessionId;
    shownRoom = Live.sessionId;
    if (!moved) return;
    var heading = document.querySelector("main h1");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    setTimeout(function () { heading.focus(); }, 0);  // after every state handler has redrawn it
  }

  function start() {
    Live.onState(function (full) {
      focusHeadingAfterMove();
      state = full.breakouts || null;
      if (!state) { root.hidden = true; return; }
      setDeadline(state.round ? state.round.remaining_s : null);
      render();
      maybeMoveIn();
    });

    function takeRound(payload) {
      if (!state) return;
      if (payload.round) { state.round = payload.round; setDeadline(payload.round.remaining_s); }
      if (payload.rooms) state.rooms = payload.rooms;
      render();
    }
    Live.on("breakout:created", takeRound);
    Live.on("breakout:rooms", takeRound);
    Live.on("breakout:opened", function (payload) {
      if (!state) return;
      state.record = null;
      if (state.my_assignment && state.my_assignment.round_id !== payload.round.id) state.my_assignment = null;
      takeRound(payload);
      maybeMoveIn();
    });
    Live.on("breakout:assigned", function (payload) {
      if (!state) return;
      state.my_assignment = payload.room ? {
        round_id: payload.round_id, room_id: payload.room.id, session_id: payload.room.session_id,
        name: payload.room.name, source: "assigned", joined_at: null,
      } : null;
      render();
      var held = state.round && (state.round.mode === "assigned" || state.round.mode === "mixed");
      if (payload.room && held && running() && inBreakout() && state.in_breakout !== payload.room.session_id) {
        enter(null);  // moved by a moderator to another breakout while in one: follow
      } else {
        maybeMoveIn();
      }
    });
    Live.on("breakout:timer", function (payload) {
      if (!state || !state.round || state.round.id !== payload.round_id) return;
      state.round.ends_at = payload.ends_at;
      setDeadline(payload.remaining_s);
      tick();
    });
    Live.on("breakout:message", function (payload) {
      setText($("banner-text"), payload.text);
      show($("banner"), true);
    });
    Live.on("breakout:recalled", function (payload) {
      if (state) { state.round = payload.round; state.in_breakout = null; }
      setDeadline(null);
      show($("banner"), false);
      render();
      if (Live.sessionId !== payload.session_id) Live.switchRoom(payload.session_id);  // everyone goes back
    });
    Live.on("breakout:record", function (payload) {
      if (state) { state.record = payload.rooms; render(); }
    });
    Live.on("breakout:alert", function (alert) {
      var list = $("alerts");
      if (!list) return;
      var none = $("no-alerts");
      if (none) none.remove();
      var item = el("li", { className: "breakout-alert" });
      item.appendChild(el("strong", {}, alert.user.name));
      item.appendChild(el("span", {}, " in " + alert.room.name + (alert.message ? ": " + alert.message : "") + " "));
      item.appendChild(smallButton(t("Drop in"), "secondary", function () { enter(alert.room.id); item.remove(); }));
      list.insertBefore(item, list.firstChild);
    });

    wireParticipant();
    if (moderatorView) wireModerator();
  }

  function wireParticipant() {
    var chooser = $("chooser");
    if (chooser) chooser.addEventListener("submit", function (e) {
      e.preventDefault();
      var picked = chooser.querySelector("input:checked");
      if (!picked) { setText($("error"), t("Choose a room first.")); return; }
      enter(Number(picked.value));
    });
    var call = $("call");
    if (call) call.addEventListener("click", function () {
      var note = window.prompt(t("What do you need? (optional)")) || "";
      Live.emit("breakout:call_moderator", { session_id: Live.sessionId, message: note.slice(0, LIMITS.breakout_call_max) }).then(function (ack) {
        if (!fail(ack)) setText($("status"), "A moderator has been called.");
      });
    });
    all("back").forEach(function (b) { b.addEventListener("click", backToMain); });
  }

  function parseRooms(raw) {
    return raw.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
      var parts = line.split("|").map(function (p) { return p.trim(); });
      var room = { name: parts[0], language: parts[1] || "en" };
      if (parts[2]) room.capacity = Number(parts[2]);
      return room;
    });
  }

  function wireModerator() {
    $("create-form").addEventListener("submit", function (e) {
      e.preventDefault();
      Live.emit("breakout:create", {
        session_id: state ? state.main_session_id : Live.sessionId,
        rooms: parseRooms($("rooms-list").value),
        mode: $("mode").value,
        duration_s: Math.round(Number($("duration").value || 15) * 60),
      }).then(function (ack) { if (!fail(ack)) { state.record = null; takeAck(ack); } });
    });
    $("auto").addEventListener("click", function () {
      var payload = { round_id: roundId(), auto: true, among: $("among").value };
      if ($("by").value) payload.by = $("by").value;
      Live.emit("breakout:assign", payload).then(function (ack) {
        if (fail(ack)) return;
        takeAck(ack);
        setText($("status"), ack.assigned + " people placed" + (ack.unplaced.length ? ", " + ack.unplaced.length + " without room (all full)" : "") + ".");
      });
    });
    $("load-people").addEventListener("click", loadPeople);
    $("start").addEventListener("click", function () {
      Live.emit("breakout:start", { round_id: roundId(), duration_s: Math.round(Number($("start-duration").value || 15) * 60) })
        .then(function (ack) { if (!fail(ack)) takeAck(ack); });
    });
    all("extend").forEach(function (button) {
      button.addEventListener("click", function () {
        Live.emit("breakout:extend", { round_id: roundId(), seconds: Number(button.dataset.seconds) })
          .then(function (ack) { if (!fail(ack)) takeAck(ack); });
      });
    });
    $("recall").addEventListener("click", function () {
      Live.emit("breakout:recall", { round_id: roundId() }).then(fail);
    });
    $("message-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var box = $("message");
      Live.emit("breakout:message", { round_id: roundId(), text: box.value }).then(function (ack) {
        if (!fail(ack)) box.value = "";
      });
    });
  }

  function takeAck(ack) {
    if (!state) return;
    if (ack.round) { state.round = ack.round; setDeadline(ack.round.remaining_s); }
    if (ack.rooms) state.rooms = ack.rooms;
    render();
  }

  function loadPeople() {
    Live.emit("room:who", { session_id: state.main_session_id }).then(function (ack) {
      if (fail(ack)) return;
      var list = $("people");
      replaceChildren(list);
      ack.people.forEach(function (person) {
        var item = el("li", {}, person.name + (person.country ? " (" + person.country + ") " : " "));
        var select = document.createElement("select");
        select.setAttribute("aria-label", t("Room for %(name)s", { name: person.name }));
        select.appendChild(el("option", {}, "\u2014 no room \u2014"));
        select.firstChild.value = "";
        state.rooms.forEach(function (room) {
          var option = el("option", {}, room.name);
          option.value = room.id;
          select.appendChild(option);
        });
        select.addEventListener("change", function () {
          Live.emit("breakout:assign", {
            round_id: roundId(),
            assignments: [{ user_id: person.id, room_id: select.value ? Number(select.value) : null }],
          }).then(function (ack2) { if (!fail(ack2)) takeAck(ack2); });
        });
        item.appendChild(select);
        list.appendChild(item);
      });
    });
  }

  start();
}
