/* A call's block (see docs/protocol.md, "Calls"): a breakout room's or an interactive session's
 * call on the live page (calls-live.js), or a matchmaking meeting's on its call page
 * (calls-meeting.js). Each entry gives `startCalls(root, host)` its host:
 *   key()          which call: {session_id} (the live page's room) or {meeting_id}
 *   emit(ev, data) Promise<ack> on the /live socket;  on(ev, fn) its broadcasts
 *   isModerator()  may moderate this call (never in a meeting's)
 *   onState(fn)    optional: fn(state) after every room (re)join; its `call` part says whether the
 *                  room has a call and who is in it. Without it the call is always available.
 *   onReconnect(fn) optional: fn() after the socket reconnected (the server forgot our part).
 * `call:*` events keep it current. Two transports carry the media, never through our server:
 *   mesh   peer to peer: the newcomer offers to everyone already there, offers, answers and ICE
 *          candidates are relayed by the server to one member at a time (`call:signal`);
 *   janus  a Janus SFU (the server created the room and gave us a token): janus.js publishes our
 *          tracks and subscribes to the others' (videoroom) or, in a large audio-only call, sends
 *          our microphone to Janus's audiobridge and plays the one mix it sends back.
 * Microphone and camera are off until the person switches them on; each peer connection carries an
 * audio and a video transceiver from the start, so switching a device on or off, or sharing the
 * screen, only replaces a track and never renegotiates.
 * User text enters the DOM through textContent only (dom.js). Tests reach the state as window.Call.
 */
import { modal } from "./dialogs.js";
import { el, setText, show, smallButton } from "./dom.js";
import { errorText, nt, t } from "./i18n.js";

var SPEAKING_LEVEL = 0.04;

export function startCalls(root, host) {
  function $(name) { return root.querySelector('[data-call="' + name + '"]'); }
  /* `body` with the call's key ({session_id} or {meeting_id}): the one we are in, else the page's. */
  function keyed(body) {
    var key = call ? (call.meeting_id ? { meeting_id: call.meeting_id } : { session_id: call.session_id }) : host.key();
    return Object.assign({}, key, body || {});
  }
  var Live = { emit: host.emit, on: host.on };

  var available = null;     // the room's `call` join state (available, locked, members, mode)
  var call = null;          // the join ack's `call` while we are in it
  var members = new Map();  // member id → {member, tile, video, stream}
  var local = { audio: null, video: null, screen: null, preview: null };
  var transport = null;
  var audioOnly = false;
  var meter = null;         // level meters: {context, entries: Map(key → {analyser, data, onLevel})}

  var Call = {
    inCall: function () { return !!call; },
    me: function () { return call && call.me; },
    members: function () { return Array.from(members.values()).map(function (m) { return m.member; }); },
    mode: function () { return call && call.mode; },
    audioOnly: function () { return !!(call && call.audio_only); },
    /* The received audio's statistics (audiobridge): {bytesReceived, totalAudioEnergy, audioLevel}. */
    inboundAudio: function () {
      return transport && transport.inboundAudio ? transport.inboundAudio() : Promise.resolve(null);
    }
  };
  window.Call = Call;

  /* --- status and errors ------------------------------------------------------------------- */

  function status(text) { setText($("status"), text || ""); }
  function failure(box, ack, fallback) {
    var text = ack && !ack.ok ? errorText(ack.error, fallback) : "";
    setText(box, text);
    show(box, !!text);
    return !!text;
  }

  function deviceProblem(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return t("The browser refused the microphone or camera. Allow them for this site (the icon in the address bar) and try again.");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return t("No microphone or camera was found on this device. You can still join and listen.");
    }
    if (name === "NotReadableError") {
      return t("The microphone or camera is in use by another application. Close it and try again.");
    }
    return t("The microphone or camera could not be started: %(reason)s", { reason: err && err.message ? err.message : t("unknown error") });
  }

  /* --- local devices ------------------------------------------------------------------------- */

  function getTrack(kind) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject({ name: "NotFoundError" });
    }
    var constraints = kind === "audio"
      ? { audio: { echoCancellation: true, noiseSuppression: true } }
      : { video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } } };
    return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      return kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    });
  }

  function stopTrack(name) {
    if (local[name]) { local[name].stop(); local[name] = null; }
  }

  function outgoingVideo() { return local.screen || local.video; }

  function levels() {
    if (!meter) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return null; }
      meter = { context: new Context(), entries: new Map() };
      setInterval(function () {
        meter.entries.forEach(function (entry) {
          entry.analyser.getFloatTimeDomainData(entry.data);
          var sum = 0;
          for (var i = 0; i < entry.data.length; i++) { sum += entry.data[i] * entry.data[i]; }
          entry.onLevel(Math.sqrt(sum / entry.data.length));
        });
      }, 150);
    }
    if (meter.context.state === "suspended") { meter.context.resume(); }
    return meter;
  }

  function watchLevel(key, track, onLevel) {
    var m = levels();
    if (!m) { return; }
    unwatchLevel(key);
    if (!track) { onLevel(0); return; }
    var source = m.context.createMediaStreamSource(new MediaStream([track]));
    var analyser = m.context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    m.entries.set(key, { analyser: analyser, source: source, data: new Float32Array(analyser.fftSize), onLevel: onLevel });
  }

  function unwatchLevel(key) {
    if (!meter || !meter.entries.has(key)) { return; }
    meter.entries.get(key).source.disconnect();
    meter.entries.delete(key);
  }

  /* --- the device check ---------------------------------------------------------------------- */

  var check = $("check");
  var checkBox = modal(check, cancelCheck);  // focus in on opening, back on closing, Escape cancels

  function openCheck() {
    setText($("check-error"), "");
    show($("check-error"), false);
    $("check-mic").checked = !!local.audio;
    $("check-cam").checked = !!local.video;
    show($("check-cam").closest("label"), !(available && available.audio_only));  // no camera in an audio-only call
    levels();  // the click is the gesture that lets the audio context run
    checkBox.open($("check-mic"));
  }

  function closeCheck(next) {
    unwatchLevel("check");
    $("preview").srcObject = null;
    checkBox.close(next);
  }

  function cancelCheck() {
    stopTrack("audio"); stopTrack("video");
    closeCheck();
  }

  function checkDevice(kind, wanted) {
    var box = $("check-error");
    if (!wanted) {
      stopTrack(kind);
      if (kind === "audio") { watchLevel("check", null, function (v) { $("level").value = v; }); }
      if (kind === "video") { $("preview").srcObject = null; }
      return Promise.resolve(true);
    }
    return getTrack(kind).then(function (track) {
      stopTrack(kind);
      local[kind] = track;
      if (kind === "audio") { watchLevel("check", track, function (v) { $("level").value = Math.min(1, v * 4); }); }
      if (kind === "video") { $("preview").srcObject = new MediaStream([track]); }
      show(box, false);
      return true;
    }).catch(function (err) {
      setText(box, deviceProblem(err));
      show(box, true);
      $(kind === "audio" ? "check-mic" : "check-cam").checked = false;
      return false;
    });
  }

  $("open-check").addEventListener("click", openCheck);
  $("check-mic").addEventListener("change", function (e) { checkDevice("audio", e.target.checked); });
  $("check-cam").addEventListener("change", function (e) { checkDevice("video", e.target.checked); });
  $("cancel").addEventListener("click", cancelCheck);
  $("join").addEventListener("click", function () { closeCheck($("mic")); join(); });

  /* --- joining and leaving ------------------------------------------------------------------- */

  function join() {
    status(t("Joining the call…"));
    return Live.emit("call:join", Object.assign(host.key(), { video: !!local.video })).then(function (ack) {
      if (failure($("error"), ack, "could not join the call") || !ack.ok) {
        status(errorText(ack.error));
        releaseDevices();
        return ack;
      }
      call = ack.call;
      if (call.audio_only) {
        stopTrack("video");
        status(t("Many people are in this room: the call is audio only."));
      } else if (local.video && !call.me.may_publish_video) {
        stopTrack("video");
        status(t("%(max)s cameras are on already: you joined with your microphone only.", { max: call.max_video }));
      } else {
        status(t("You are in the call."));
      }
      members.clear();
      setText($("grid"), "");
      call.members.forEach(function (member) { upsertMember(member); });
      var focusWasInLobby = $("lobby").contains(document.activeElement) || document.activeElement === document.body;
      show($("lobby"), false);
      show($("inside"), true);
      show($("lock"), host.isModerator());
      if (focusWasInLobby) { $("mic").focus(); }  // the lobby's button is gone: the controls take the focus
      transport = call.mode !== "janus" ? meshTransport(call)
        : call.janus.plugin === "audiobridge" ? bridgeTransport(call) : janusTransport(call);
      return transport.start().then(function () {
        syncMedia();
        drawControls();
        return ack;
      });
    });
  }

  function releaseDevices() {
    stopTrack("audio"); stopTrack("video"); stopTrack("screen");
  }

  function teardown(message) {
    if (transport) { transport.stop(); transport = null; }
    members.forEach(function (_m, id) { unwatchLevel("member:" + id); });
    members.clear();
    setText($("grid"), "");
    releaseDevices();
    call = null;
    show($("inside"), false);
    show($("audio-only"), false);
    show($("warning"), false);
    show($("lobby"), !!(available && available.available));
    status(message || "");
  }

  function leave() {
    var body = call && keyed();
    teardown(t("You left the call."));
    if (body) { Live.emit("call:leave", body); }
  }
  $("leave").addEventListener("click", leave);

  /* --- what everybody sees: tiles --------------------------------------------------------------- */

  function initials(name) {
    return (name || "?").split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w[0]; }).join("").toUpperCase();
  }

  function upsertMember(member) {
    var entry = members.get(member.id);
    if (!entry) {
      var mine = call && member.id === call.me.id;
      var video = el("video", { autoplay: true, playsInline: true, muted: !!mine });
      var tile = el("li", { className: "call-tile", "data-member-id": String(member.id) });
      var name = el("span", { className: "call-who" });
      var flags = el("span", { className: "call-flags", "aria-hidden": "true" });
      var label = el("div", { className: "call-name" });
      var actions = el("div", { className: "call-actions" });
      label.append(name, flags);
      tile.append(video, el("div", { className: "call-initials", "aria-hidden": "true" }), label, actions);
      $("grid").append(tile);
      entry = { member: member, tile: tile, video: video, stream: null, name: name, flags: flags, actions: actions };
      members.set(member.id, entry);
      if (mine) { entry.stream = new MediaStream(); video.srcObject = entry.stream; }
    }
    entry.member = member;
    drawTile(entry);
    return entry;
  }

  function drawTile(entry) {
    var m = entry.member;
    var mine = call && m.id === call.me.id;
    setText(entry.name, m.name + (mine ? " (you)" : ""));
    setText(entry.tile.querySelector(".call-initials"), initials(m.name));
    var flags = [];
    if (!m.audio) { flags.push("muted"); }
    if (m.screen) { flags.push("sharing the screen"); }
    if (m.hand_raised_at) { flags.push("✋ hand raised"); }
    setText(entry.flags, flags.join(" · "));
    entry.tile.classList.toggle("no-video", !(m.video || m.screen));
    entry.tile.setAttribute("aria-label", m.name + (flags.length ? ", " + flags.join(", ") : ""));
    entry.actions.replaceChildren();
    if (host.isModerator() && !mine) {
      if (m.audio) { entry.actions.append(smallButton(t("Mute"), "secondary", function () { moderate("mute", m.id); })); }
      if (m.hand_raised_at) { entry.actions.append(smallButton(t("Lower hand"), "secondary", function () { moderate("lower_hand", m.id); })); }
      entry.actions.append(smallButton(t("Remove"), "danger", function () { moderate("remove", m.id); }));
    }
  }

  function removeMember(id) {
    var entry = members.get(id);
    if (!entry) { return; }
    unwatchLevel("member:" + id);
    entry.tile.remove();
    members.delete(id);
    if (transport) { transport.drop(id); }
  }

  function showStream(memberId, stream) {
    var entry = members.get(memberId) || upsertMember({ id: memberId, name: "…", audio: false, video: false, screen: false });
    entry.stream = stream;
    if (entry.video.srcObject !== stream) { entry.video.srcObject = stream; }
    var audio = stream.getAudioTracks()[0];
    watchLevel("member:" + memberId, audio || null, function (level) {
      entry.tile.classList.toggle("speaking", level > SPEAKING_LEVEL && entry.member.audio);
    });
  }

  function drawMine() {
    var entry = call && members.get(call.me.id);
    if (!entry) { return; }
    var tracks = [local.audio, outgoingVideo()].filter(Boolean);
    entry.stream = new MediaStream(tracks);
    entry.video.srcObject = entry.stream;
    watchLevel("member:" + call.me.id, local.audio && local.audio.enabled ? local.audio : null, function (level) {
      entry.tile.classList.toggle("speaking", level > SPEAKING_LEVEL);
    });
  }

  /* --- controls -------------------------------------------------------------------------------- */

  function micOn() { return !!(local.audio && local.audio.enabled); }

  function drawControls() {
    var me = call && members.get(call.me.id);
    var hand = !!(me && me.member.hand_raised_at);
    $("mic").setAttribute("aria-pressed", String(micOn()));
    setText($("mic"), micOn() ? t("Mute") : t("Unmute"));
    $("cam").setAttribute("aria-pressed", String(!!local.video));
    setText($("cam"), local.video ? t("Camera off") : t("Camera on"));
    $("screen").setAttribute("aria-pressed", String(!!local.screen));
    setText($("screen"), local.screen ? t("Stop sharing") : t("Share screen"));
    var pictures = !(call && call.audio_only);
    show($("cam"), pictures);
    show($("screen"), pictures && !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia));
    $("hand").setAttribute("aria-pressed", String(hand));
    setText($("hand"), hand ? t("Lower hand") : t("Raise hand"));
    var locked = !!(available && available.locked);
    $("lock").setAttribute("aria-pressed", String(locked));
    setText($("lock"), locked ? t("Unlock the call") : t("Lock the call"));
  }

  /* Tell the server what is on, then hand the tracks to the transport. */
  function syncMedia() {
    if (!call) { return Promise.resolve(); }
    var wanted = keyed({ audio: micOn(), video: !!local.video, screen: !!local.screen });
    return Live.emit("call:media", wanted).then(function (ack) {
      if (!ack.ok) {
        if (ack.error && ack.error.code === "video_full") { stopTrack("video"); stopTrack("screen"); }
        failure($("error"), ack, "could not change the call");
      } else {
        failure($("error"), null);
        upsertMember(ack.member);
      }
      if (transport) { transport.setTracks(local.audio, outgoingVideo()); }
      drawMine();
      drawControls();
    });
  }

  $("mic").addEventListener("click", function () {
    if (local.audio) {
      local.audio.enabled = !local.audio.enabled;
      return syncMedia();
    }
    return getTrack("audio").then(function (track) { local.audio = track; return syncMedia(); })
      .catch(function (err) { setText($("error"), deviceProblem(err)); show($("error"), true); });
  });

  $("cam").addEventListener("click", function () {
    if (local.video) { stopTrack("video"); return syncMedia(); }
    return getTrack("video").then(function (track) { local.video = track; return syncMedia(); })
      .catch(function (err) { setText($("error"), deviceProblem(err)); show($("error"), true); });
  });

  $("screen").addEventListener("click", function () {
    if (local.screen) { stopTrack("screen"); return syncMedia(); }
    return navigator.mediaDevices.getDisplayMedia({ video: true }).then(function (stream) {
      local.screen = stream.getVideoTracks()[0];
      local.screen.addEventListener("ended", function () { local.screen = null; syncMedia(); });
      return syncMedia();
    }).catch(function (err) {
      if (err && err.name !== "NotAllowedError") { setText($("error"), deviceProblem(err)); show($("error"), true); }
    });
  });

  $("hand").addEventListener("click", function () {
    var me = call && members.get(call.me.id);
    var raised = !(me && me.member.hand_raised_at);
    Live.emit("call:hand", keyed({ raised: raised })).then(function (ack) {
      if (!failure($("error"), ack, "could not raise the hand")) { upsertMember(ack.member); drawControls(); }
    });
  });

  $("lock").addEventListener("click", function () {
    var locked = !!(available && available.locked);
    moderate(locked ? "unlock" : "lock");
  });

  $("audio-only").addEventListener("click", function () {
    audioOnly = true;
    stopTrack("video"); stopTrack("screen");
    var body = call && keyed();
    if (transport) { transport.stop(); transport = null; }
    if (body) {
      Live.emit("call:leave", body).then(function () { return join(); });
    }
  });

  function moderate(action, memberId) {
    var payload = Object.assign(host.key(), { action: action });
    if (memberId) { payload.member_id = memberId; }
    return Live.emit("call:moderate", payload).then(function (ack) { failure($("error"), ack, "could not do that"); });
  }

  function mediaBlocked() {
    setText($("error"), t("The network blocks the call's audio and video. Try audio only, or another network."));
    show($("error"), true);
    show($("audio-only"), !audioOnly);
  }

  /* --- the server's news ----------------------------------------------------------------------- */

  function here(payload) {
    var key = host.key();
    if (!payload) { return false; }
    return key.meeting_id ? payload.meeting_id === key.meeting_id : payload.session_id === key.session_id;
  }

  Live.on("call:member-joined", function (p) { if (here(p) && call) { upsertMember(p.member); } });
  Live.on("call:member-updated", function (p) {
    if (!here(p) || !call) { return; }
    upsertMember(p.member);
    if (p.member.id === call.me.id) { drawControls(); }
  });
  Live.on("call:member-left", function (p) { if (here(p) && call) { removeMember(p.member_id); } });
  Live.on("call:signal", function (p) { if (here(p) && transport && transport.signal) { transport.signal(p); } });
  Live.on("call:locked", function (p) {
    if (!here(p)) { return; }
    if (available) { available.locked = p.locked; }
    drawControls();
    status(p.locked ? t("The call is locked: nobody new can join.") : t("The call is open again."));
  });
  Live.on("call:muted", function (p) {
    if (!here(p) || !local.audio) { return; }
    local.audio.enabled = false;
    drawMine();
    drawControls();
    status((p.by || "A moderator") + " muted you. Unmute when you want to speak.");
  });
  Live.on("call:removed", function (p) { if (here(p)) { teardown((p.by || "A moderator") + " removed you from the call."); } });
  Live.on("call:ended", function (p) {
    if (!here(p) || !call) { return; }
    teardown(p.reason === "recalled" ? t("The breakout round ended: the call is over.")
      : p.reason === "joined_elsewhere" ? t("You joined this call in another window.") : t("The call ended."));
  });
  Live.on("breakout:timer", function (p) {
    if (call && p && p.warning) {
      setText($("warning"), t("One minute left: the call ends when everyone returns to the main room."));
      show($("warning"), true);
    }
  });

  function rejoinKeepingDevices() {
    var keep = { audio: local.audio, video: local.video };
    teardownKeepingDevices();
    local.audio = keep.audio; local.video = keep.video;
    join();
  }

  if (host.onReconnect) {
    // The server ended our part when the socket dropped: join again with the same devices.
    host.onReconnect(function () { if (call) { rejoinKeepingDevices(); } });
  }

  if (!host.onState) {
    // A meeting's call: always there for its two people (joining says when it is not open).
    available = { available: true, locked: false, members: [] };
    show(root, true);
    show($("lobby"), true);
    drawControls();
  } else host.onState(function (state) {
    var part = state.call || { available: false, members: [] };
    if (call && call.session_id !== state.session.id) { teardown(t("You left the call with the room.")); }
    available = part;
    show(root, !!part.available || !!call);
    if (!call) {
      show($("lobby"), !!part.available);
      var count = part.members.length;
      setText($("count"), count === 0 ? t("Nobody is in the call yet.") : nt("%(num)s person is in the call.", "%(num)s people are in the call.", count));
      if (part.locked && !host.isModerator()) { status(t("The call is locked by a moderator.")); }
    } else {
      // A reconnection: the server forgot this socket's part in the call; join again.
      var stillIn = part.members.some(function (m) { return m.id === call.me.id; });
      if (!stillIn) { rejoinKeepingDevices(); }
    }
    drawControls();
  });

  function teardownKeepingDevices() {
    if (transport) { transport.stop(); transport = null; }
    members.clear();
    setText($("grid"), "");
    call = null;
  }

  /* --- mesh: peer to peer ---------------------------------------------------------------------- */

  function meshTransport(joined) {
    var peers = new Map();  // member id → {pc, stream, pending: [candidates], offerer}

    function send(to, body) {
      if (joined.meeting_id) { body.meeting_id = joined.meeting_id; } else { body.session_id = joined.session_id; }
      body.to = to;
      return Live.emit("call:signal", body);
    }

    function peerFor(memberId, offerer) {
      var existing = peers.get(memberId);
      if (existing) { return existing; }
      var pc = new RTCPeerConnection({ iceServers: joined.ice_servers });
      var peer = { pc: pc, stream: new MediaStream(), pending: [], offerer: offerer };
      peers.set(memberId, peer);
      pc.onicecandidate = function (e) {
        if (e.candidate) { send(memberId, { kind: "candidate", candidate: e.candidate.toJSON() }); }
      };
      pc.ontrack = function (e) {
        if (peer.stream.getTracks().indexOf(e.track) < 0) { peer.stream.addTrack(e.track); }
        showStream(memberId, peer.stream);
      };
      pc.oniceconnectionstatechange = function () {
        if (pc.iceConnectionState === "failed") {
          if (offerer) { pc.restartIce(); }
          mediaBlocked();
        }
      };
      if (offerer) {
        // Fires once the transceivers are added (and again after restartIce): the only place we offer.
        pc.onnegotiationneeded = function () {
          pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); })
            .then(function () { send(memberId, { kind: "offer", sdp: pc.localDescription.sdp }); })
            .catch(function (err) { if (window.console) { console.warn("call offer failed", err); } });
        };
        pc.addTransceiver("audio", { direction: "sendrecv" }).sender.replaceTrack(local.audio || null);
        if (!audioOnly) { pc.addTransceiver("video", { direction: "sendrecv" }).sender.replaceTrack(outgoingVideo() || null); }
      }
      return peer;
    }

    function flush(peer) {
      var pending = peer.pending;
      peer.pending = [];
      pending.forEach(function (c) { peer.pc.addIceCandidate(c).catch(function () {}); });
    }

    function kindOf(transceiver) {
      return transceiver.receiver && transceiver.receiver.track ? transceiver.receiver.track.kind : null;
    }

    function signal(message) {
      var from = message.from;
      if (message.kind === "offer") {
        var peer = peerFor(from, false);
        peer.pc.setRemoteDescription({ type: "offer", sdp: message.sdp }).then(function () {
          peer.pc.getTransceivers().forEach(function (t) {
            var kind = kindOf(t);
            if (kind === "video" && audioOnly) { t.direction = "inactive"; return; }
            t.direction = "sendrecv";
            t.sender.replaceTrack(kind === "audio" ? local.audio || null : outgoingVideo() || null);
          });
          flush(peer);
          return peer.pc.createAnswer();
        }).then(function (answer) { return peer.pc.setLocalDescription(answer); })
          .then(function () { send(from, { kind: "answer", sdp: peer.pc.localDescription.sdp }); })
          .catch(function (err) { if (window.console) { console.warn("call answer failed", err); } });
      } else if (message.kind === "answer") {
        var offered = peers.get(from);
        if (!offered) { return; }
        offered.pc.setRemoteDescription({ type: "answer", sdp: message.sdp }).then(function () { flush(offered); });
      } else if (message.kind === "candidate") {
        var target = peers.get(from) || peerFor(from, false);
        if (target.pc.remoteDescription) {
          target.pc.addIceCandidate(message.candidate).catch(function () {});
        } else {
          target.pending.push(message.candidate);
        }
      }
    }

    return {
      start: function () {
        // The newcomer offers to everyone already in the call; they answer.
        joined.members.forEach(function (member) {
          if (member.id !== joined.me.id) { peerFor(member.id, true); }
        });
        return Promise.resolve();
      },
      signal: signal,
      setTracks: function (audio, video) {
        peers.forEach(function (peer) {
          peer.pc.getTransceivers().forEach(function (t) {
            if (t.direction === "inactive" || t.stopped) { return; }
            var kind = kindOf(t);
            if (kind === "audio") { t.sender.replaceTrack(audio || null); }
            if (kind === "video") { t.sender.replaceTrack(video || null); }
          });
        });
      },
      drop: function (memberId) {
        var peer = peers.get(memberId);
        if (peer) { peer.pc.close(); peers.delete(memberId); }
      },
      stop: function () {
        peers.forEach(function (peer) { peer.pc.close(); });
        peers.clear();
      }
    };
  }

  /* --- janus: through the SFU ------------------------------------------------------------------ */

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (window.adapter) { resolve(); return; }
      var script = el("script", { src: src });
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.append(script);
    });
  }

  function janusTransport(joined) {
    var base = root.dataset.vendor;
    var Janus = null;
    var session = null;
    var publisher = null;
    var subscribers = new Map();  // publisher (member) id → plugin handle
    var published = false;

    function attachSubscriber(feedId) {
      if (subscribers.has(feedId) || feedId === joined.me.id) { return; }
      subscribers.set(feedId, null);
      var stream = new MediaStream();
      session.attach({
        plugin: "janus.plugin.videoroom",
        success: function (handle) {
          subscribers.set(feedId, handle);
          handle.send({ message: { request: "join", room: joined.janus.room, ptype: "subscriber",
            streams: [{ feed: feedId }], token: joined.janus.token } });
        },
        onmessage: function (msg, jsep) {
          var handle = subscribers.get(feedId);
          if (jsep && handle) {
            handle.createAnswer({
              jsep: jsep,
              tracks: [{ type: "data" }],
              success: function (answer) { handle.send({ message: { request: "start", room: joined.janus.room }, jsep: answer }); },
              error: function () { mediaBlocked(); }
            });
          }
        },
        onremotetrack: function (track, _mid, on) {
          if (on) {
            if (stream.getTracks().indexOf(track) < 0) { stream.addTrack(track); }
          } else {
            stream.removeTrack(track);
          }
          showStream(feedId, stream);
        },
        iceState: function (state) { if (state === "failed") { mediaBlocked(); } },
        error: function () { mediaBlocked(); }
      });
    }

    function publishers(list) {
      (list || []).forEach(function (p) { attachSubscriber(p.id); });
    }

    var sent = { audio: null, video: null };  // the tracks Janus has from us now

    /* Publish, or renegotiate when a track came, went or changed. We own our tracks (dontStop):
     * janus.js would otherwise stop a track it replaces, even the same one. */
    function publish() {
      var want = { audio: local.audio || null, video: audioOnly ? null : outgoingVideo() || null };
      if (published && want.audio === sent.audio && want.video === sent.video) { return; }
      var tracks = [];
      ["audio", "video"].forEach(function (kind) {
        if (want[kind]) {
          tracks.push({ type: kind, capture: want[kind], recv: false, dontStop: true });
        } else if (published && sent[kind]) {
          tracks.push({ type: kind, remove: true, dontStop: true });
        }
      });
      if (!tracks.length) { return; }
      publisher.createOffer({
        tracks: tracks,
        success: function (jsep) {
          var request = published ? "configure" : "publish";
          publisher.send({ message: { request: request, audio: !!want.audio, video: !!want.video }, jsep: jsep });
          published = true;
          sent = want;
        },
        error: function () { mediaBlocked(); }
      });
    }

    return {
      start: function () {
        return loadScript(base + "webrtc-adapter-8.2.2/adapter.js")
          .then(function () { return import(base + "janus-gateway-1.1.4/janus.es.js"); })
          .then(function (module) {
            Janus = module.default;
            return new Promise(function (resolve, reject) {
              Janus.init({
                debug: window.__janusDebug ? "all" : false,
                dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
                callback: function () {
                  session = new Janus({
                    server: joined.janus.url,
                    iceServers: joined.ice_servers,
                    success: function () {
                      session.attach({
                        plugin: "janus.plugin.videoroom",
                        success: function (handle) {
                          publisher = handle;
                          handle.send({ message: { request: "join", room: joined.janus.room, ptype: "publisher",
                            id: joined.me.id, display: joined.me.name, token: joined.janus.token } });
                        },
                        onmessage: function (msg, jsep) {
                          if (msg.videoroom === "joined") { publish(); publishers(msg.publishers); resolve(); }
                          if (msg.publishers) { publishers(msg.publishers); }
                          if (msg.unpublished || msg.leaving) {
                            var gone = msg.unpublished || msg.leaving;
                            var handle = subscribers.get(gone);
                            if (handle) { handle.detach(); }
                            subscribers.delete(gone);
                          }
                          if (jsep) { publisher.handleRemoteJsep({ jsep: jsep }); }
                          if (msg.error) { setText($("error"), t("The call server refused: %(reason)s", { reason: msg.error })); show($("error"), true); }
                        },
                        iceState: function (state) { if (state === "failed") { mediaBlocked(); } },
                        error: reject
                      });
                    },
                    error: function (err) { reject(err); }
                  });
                }
              });
            });
          }).catch(function (err) {
            setText($("error"), t("The call server could not be reached: %(reason)s", { reason: err && err.message ? err.message : err }));
            show($("error"), true);
          });
      },
      signal: null,
      setTracks: function () { if (publisher) { publish(); } },
      drop: function (memberId) {
        var handle = subscribers.get(memberId);
        if (handle) { handle.detach(); }
        subscribers.delete(memberId);
      },
      stop: function () {
        if (session) { session.destroy({ notifyDestroyed: false }); }
        session = null;
        subscribers.clear();
      }
    };
  }

  /* --- janus audiobridge: a large audio-only call, mixed by Janus ------------------------------- */

  function bridgeTransport(joined) {
    var base = root.dataset.vendor;
    var session = null;
    var handle = null;
    var negotiated = false;
    var sent = null;  // the microphone track Janus has from us
    var player = el("audio", { autoplay: true, hidden: true });
    player.dataset.call = "mix";
    root.append(player);

    function speaking(memberId, on) {
      var entry = members.get(memberId);
      if (entry) { entry.tile.classList.toggle("speaking", on && entry.member.audio); }
    }

    /* One offer: an audio transceiver that sends our microphone (once there is one) and receives the
     * mix. Switching the microphone on later replaces the track, without renegotiating. */
    function negotiate() {
      handle.createOffer({
        tracks: [{ type: "audio", capture: local.audio || false, recv: true, dontStop: true }],
        success: function (jsep) {
          handle.send({ message: { request: "configure", muted: !micOn() }, jsep: jsep });
          negotiated = true;
          sent = local.audio || null;
        },
        error: function () { mediaBlocked(); }
      });
    }

    return {
      start: function () {
        return loadScript(base + "webrtc-adapter-8.2.2/adapter.js")
          .then(function () { return import(base + "janus-gateway-1.1.4/janus.es.js"); })
          .then(function (module) {
            var Janus = module.default;
            return new Promise(function (resolve, reject) {
              Janus.init({
                debug: window.__janusDebug ? "all" : false,
                dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
                callback: function () {
                  session = new Janus({
                    server: joined.janus.url,
                    iceServers: joined.ice_servers,
                    success: function () {
                      session.attach({
                        plugin: "janus.plugin.audiobridge",
                        success: function (attached) {
                          handle = attached;
                          handle.send({ message: { request: "join", room: joined.janus.room, id: joined.me.id,
                            display: joined.me.name, token: joined.janus.token, muted: !micOn() } });
                        },
                        onmessage: function (msg, jsep) {
                          var what = msg.audiobridge;
                          if (what === "joined" && msg.id === joined.me.id && !negotiated) { negotiate(); resolve(); }
                          if (what === "talking" || what === "stopped-talking") { speaking(msg.id, what === "talking"); }
                          if (jsep) { handle.handleRemoteJsep({ jsep: jsep }); }
                          if (msg.error) {
                            setText($("error"), t("The call server refused: %(reason)s", { reason: msg.error }));
                            show($("error"), true);
                            if (!negotiated) { reject(new Error(msg.error)); }
                          }
                        },
                        onremotetrack: function (track, _mid, on) {
                          if (track.kind !== "audio") { return; }
                          player.srcObject = on ? new MediaStream([track]) : null;
                          if (on) { player.play().catch(function () {}); }
                        },
                        iceState: function (state) { if (state === "failed") { mediaBlocked(); } },
                        error: reject
                      });
                    },
                    error: function (err) { reject(err); }
                  });
                }
              });
            });
          }).catch(function (err) {
            setText($("error"), t("The call server could not be reached: %(reason)s", { reason: err && err.message ? err.message : err }));
            show($("error"), true);
          });
      },
      signal: null,
      setTracks: function (audio) {
        if (!handle || !negotiated) { return; }
        if (audio && audio !== sent) {
          sent = audio;
          handle.replaceTracks({ tracks: [{ type: "audio", capture: audio, dontStop: true }], error: function () { mediaBlocked(); } });
        }
        handle.send({ message: { request: "configure", muted: !micOn() } });
      },
      drop: function (memberId) { speaking(memberId, false); },
      inboundAudio: function () {
        var pc = handle && handle.webrtcStuff && handle.webrtcStuff.pc;
        if (!pc) { return Promise.resolve(null); }
        return pc.getStats().then(function (report) {
          var found = null;
          report.forEach(function (entry) {
            if (entry.type === "inbound-rtp" && entry.kind === "audio") {
              found = { bytesReceived: entry.bytesReceived || 0, totalAudioEnergy: entry.totalAudioEnergy || 0, audioLevel: entry.audioLevel || 0 };
            }
          });
          return found;
        });
      },
      stop: function () {
        if (session) { session.destroy({ notifyDestroyed: false }); }
        session = null;
        handle = null;
        player.srcObject = null;
        player.remove();
      }
    };
  }
}
