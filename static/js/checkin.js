// Staff scanner: camera (jsQR) or handheld scanner/typed code, full-screen green/red answer,
// and an offline mode that verifies badges on the device and queues scans in IndexedDB.
import { announcer } from "./announcer.js";
import { el, timeOfDay } from "./dom.js";
import { errorText, nt, t } from "./i18n.js";
import { LIMITS } from "./limits.js";

const scanner = document.getElementById("scanner");
if (scanner) { startScanner(scanner); }

function startScanner(root) {

  const API = root.dataset.api;
  const EVENT_ID = Number(root.dataset.eventId);
  const NOBLE_URL = root.dataset.noble;
  const DOMAIN = new TextEncoder().encode("conference-badge-v1:");
  const REQUEST_TIMEOUT_MS = 6000;
  const PROBE_EVERY_MS = 5000;
  const SAME_CODE_PAUSE_MS = 3000;
  const RESULT_SHOW_MS = 2500;
  const SYNC_BATCH = 100;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  const byId = (id) => document.getElementById(id);
  const listSelect = byId("list-select");
  const gateInput = byId("gate");
  const codeInput = byId("code");
  const overlay = byId("result");
  const banner = byId("network-banner");

  const state = {
    offline: false,
    manualOffline: false, // the staff member chose offline: no automatic reconnect
    snapshot: null, // the offline data of the selected list
    lastCode: null,
    lastCodeAt: 0,
    busy: false,
    overlayTimer: null,
    lastScanId: null,
    cameraStream: null,
  };

  // ---- IndexedDB: the queue survives reloads ---------------------------------------------------
  let dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open("conference-checkin", 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("queue", { keyPath: "scan_id" });
          db.createObjectStore("snapshots", { keyPath: "list_id" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }
  async function store(name, mode, action) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = action(tx.objectStore(name));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const queueAdd = (item) => store("queue", "readwrite", (s) => s.put(item));
  const queueAll = () => store("queue", "readonly", (s) => s.getAll());
  const queueDelete = (ids) => store("queue", "readwrite", (s) => { ids.forEach((id) => s.delete(id)); });
  const snapshotPut = (data) => store("snapshots", "readwrite", (s) => s.put({ list_id: data.list.id, data }));
  const snapshotGet = (listId) => store("snapshots", "readonly", (s) => s.get(listId));

  async function refreshQueueCount() {
    const items = await queueAll();
    byId("queue-count").textContent = String(items.length);
    return items.length;
  }

  // ---- helpers ---------------------------------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function direction() {
    return document.querySelector('input[name="direction"]:checked').value;
  }
  function listId() {
    return Number(listSelect.value);
  }
  function withTimeout(promise, ms) {
    return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
  }
  class NetworkDown extends Error {}

  async function api(method, path, body) {
    let response;
    try {
      response = await withTimeout(fetch(API + path, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }), REQUEST_TIMEOUT_MS);
    } catch (err) {
      throw new NetworkDown(String(err && err.message || err));
    }
    if ([502, 503, 504].includes(response.status)) throw new NetworkDown("server unavailable " + response.status);
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    return { status: response.status, data };
  }

  // ---- network state ---------------------------------------------------------------------------
  function setOffline(offline, detail) {
    state.offline = offline;
    if (!offline) state.manualOffline = false;
    byId("go-offline").hidden = offline;
    banner.hidden = false;
    banner.classList.toggle("offline", offline);
    byId("network-state").textContent = offline ? t("Offline mode") : t("Online");
    byId("network-detail").textContent = detail || (offline
      ? t("The network is down: badges are checked on this device and queued; they sync when it is back.")
      : t("Connected."));
    document.body.dataset.network = offline ? "offline" : "online";
  }

  async function probe() {
    // Back online? Ask the server something cheap; then send the queue.
    try {
      const { status } = await api("GET", "/lists/" + listId() + "/stats");
      if (status === 200) {
        if (state.offline) setOffline(false, t("The network is back: sending queued scans…"));
        await syncQueue();
        return true;
      }
    } catch (err) {
      if (!(err instanceof NetworkDown)) throw err;
      if (!state.offline) setOffline(true);
    }
    return false;
  }

  async function syncQueue() {
    let items = await queueAll();
    if (!items.length) { await refreshQueueCount(); return; }
    items.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
    const conflicts = [];
    while (items.length) {
      const batch = items.slice(0, SYNC_BATCH);
      const { status, data } = await api("POST", "/sync", { scans: batch });
      if (status !== 200) {
        setOffline(state.offline, t("Sync refused: %(reason)s", { reason: errorText(data && data.error, String(status)) }));
        return;
      }
      await queueDelete(batch.map((item) => item.scan_id));
      conflicts.push(...data.conflicts);
      items = items.slice(SYNC_BATCH);
    }
    await refreshQueueCount();
    document.body.dataset.synced = String(Date.now());
    const detail = conflicts.length
      ? nt("%(num)s conflict: the same badge was admitted at two gates. See the dashboard.", "%(num)s conflicts: the same badge was admitted at two gates. See the dashboard.", conflicts.length)
      : t("All queued scans are synced.");
    byId("network-detail").textContent = detail;
    conflicts.forEach((c) => addRecent(t("Conflict"), c.attendee ? c.attendee.name : "?", "r-bad"));
    await loadSnapshot();
  }

  // ---- offline data and local decisions ------------------------------------------------------
  async function loadSnapshot() {
    const id = listId();
    if (!id) return;
    try {
      const { status, data } = await api("GET", "/lists/" + id + "/offline");
      if (status === 200) {
        state.snapshot = prepare(data);
        await snapshotPut(data);
        root.dataset.offlineReady = "1";
        return;
      }
    } catch (err) {
      if (!(err instanceof NetworkDown)) throw err;
      setOffline(true);
    }
    const saved = await snapshotGet(id);
    state.snapshot = saved ? prepare(saved.data) : null;
    if (state.snapshot) {
      await replayQueue(state.snapshot);
      root.dataset.offlineReady = "1";
    }
  }

  async function replayQueue(snap) {
    // The saved snapshot predates the scans queued here: apply them, so a reload cannot admit twice.
    for (const item of await queueAll()) {
      if (item.list !== snap.list.id || item.offline_result !== "ok") continue;
      const token = parseToken(item.code);
      if (!token) continue;
      if (item.direction === "out") snap.inside.delete(token.registrationId);
      else { snap.checkedIn.add(token.registrationId); snap.inside.add(token.registrationId); }
    }
  }

  function prepare(data) {
    return {
      raw: data,
      list: data.list,
      publicKey: hexToBytes(data.public_key),
      cancelled: new Set(data.cancelled),
      versions: data.versions,
      checkedIn: new Set(data.checked_in),
      inside: new Set(data.inside),
      people: data.people,
    };
  }

  function hexToBytes(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function b64urlToBytes(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    try {
      const bin = atob(padded);
      return Uint8Array.from(bin, (c) => c.charCodeAt(0));
    } catch (err) { return null; }
  }
  function parseToken(code) {
    if (code.length > LIMITS.badge_code_max) return null;
    const raw = b64urlToBytes(code);
    if (!raw || raw.length < 68 || raw[0] !== 1) return null;
    const payload = raw.slice(0, raw.length - 64);
    const signature = raw.slice(raw.length - 64);
    let pos = 1;
    const values = [];
    for (let n = 0; n < 3; n++) {
      let value = 0, shift = 0, done = false;
      for (let i = 0; i < 4 && pos < payload.length; i++) {
        const byte = payload[pos++];
        value += (byte & 0x7f) * Math.pow(2, shift);
        shift += 7;
        if (!(byte & 0x80)) { done = true; break; }
      }
      if (!done || !value) return null;
      values.push(value);
    }
    if (pos !== payload.length) return null;
    return { eventId: values[0], registrationId: values[1], version: values[2], payload, signature };
  }

  let nobleModule = null;
  async function verifySignature(publicKey, signature, message) {
    try {
      const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch (err) {
      // No Ed25519 in this browser's WebCrypto: the vendored @noble/ed25519 does the same check.
      if (!nobleModule) nobleModule = await import(NOBLE_URL);
      return nobleModule.verifyAsync(signature, message, publicKey);
    }
  }

  async function decideLocally(code, dir) {
    const snap = state.snapshot;
    const refuse = (result, reason, attendee) => ({ result, reason, attendee, offline: true });
    if (!snap) return refuse("invalid_badge", "no_offline_data");
    const token = parseToken(code);
    if (!token) return refuse("invalid_badge", "malformed");
    if (token.eventId !== EVENT_ID) return refuse("invalid_badge", "other_event");
    const message = new Uint8Array(DOMAIN.length + token.payload.length);
    message.set(DOMAIN);
    message.set(token.payload, DOMAIN.length);
    if (!(await verifySignature(snap.publicKey, token.signature, message))) return refuse("invalid_badge", "bad_signature");
    const id = token.registrationId;
    const person = snap.people[String(id)];
    if (!person) return refuse("not_registered", "no_registration");
    const attendee = { registration_id: id, name: person[0], organisation: person[1], country: person[2],
                       country_name: person[2], mode: person[3] };
    if (snap.cancelled.has(id)) return refuse("cancelled", "cancelled", attendee);
    if ((snap.versions[String(id)] || 1) !== token.version) return refuse("invalid_badge", "reissued", attendee);
    if (person[3] === "online" && !snap.list.admits_online) return refuse("not_admitted", "online_registration", attendee);
    if (dir === "out") {
      if (!snap.inside.has(id)) return refuse("not_inside", "not_inside", attendee);
      snap.inside.delete(id);
      return { result: "ok", reason: "exit", attendee, offline: true };
    }
    const endsAt = snap.list.session_ends_at ? Date.parse(snap.list.session_ends_at) : NaN;
    if (!snap.list.admits_after_end && Date.now() >= endsAt) return refuse("not_admitted", "session_ended", attendee);
    if (snap.inside.has(id) || (snap.checkedIn.has(id) && !snap.list.allow_reentry)) {
      return refuse("already_checked_in", snap.inside.has(id) ? "already_inside" : "no_reentry", attendee);
    }
    if (snap.list.capacity && snap.inside.size >= snap.list.capacity) return refuse("full", "capacity_reached", attendee);
    snap.checkedIn.add(id);
    snap.inside.add(id);
    return { result: "ok", reason: "", attendee, offline: true };
  }

  // ---- scanning --------------------------------------------------------------------------------
  async function handleCode(rawCode) {
    const code = (rawCode || "").trim();
    if (!code || state.busy) return;
    const now = Date.now();
    if (code === state.lastCode && now - state.lastCodeAt < SAME_CODE_PAUSE_MS) return;
    if (!overlay.hidden) return; // one answer on screen at a time
    state.busy = true;
    state.lastCode = code;
    const scan = { code, list: listId(), scan_id: uuid(), gate: gateInput.value.trim().slice(0, LIMITS.gate_max),
                   direction: direction(), scanned_at: new Date().toISOString() };
    try {
      let answer = null;
      if (!state.offline) {
        try {
          const { status, data } = await api("POST", "/scan", scan);
          answer = data && data.result ? data : { result: "error", message: errorText(data && data.error, "HTTP " + status) };
        } catch (err) {
          if (!(err instanceof NetworkDown)) throw err;
          setOffline(true);
        }
      }
      if (answer === null) {
        answer = await decideLocally(code, scan.direction);
        await queueAdd({ ...scan, offline_result: answer.result });
        await refreshQueueCount();
      }
      state.lastScanId = answer.offline ? null : scan.scan_id;
      show(answer);
    } finally {
      state.busy = false;
      state.lastCodeAt = Date.now();
    }
  }

  const TITLES = {
    ok: t("Welcome"), already_checked_in: t("Already checked in"), invalid_badge: t("Invalid or forged badge"),
    not_registered: t("Not registered"), cancelled: t("Registration cancelled"), not_admitted: t("Not admitted here"),
    full: t("Room full"), not_inside: t("Not inside"), error: t("Error"),
  };
  const REASONS = {
    malformed: t("This code is not a badge."), bad_signature: t("The signature does not verify: forged or damaged."),
    other_event: t("This badge belongs to another event."), reissued: t("This badge was replaced by a newer one."),
    oversized: t("This code is too long to be a badge."), online_registration: t("Registered online, not in person."),
    wrong_day: t("This list is for another day."), capacity_reached: t("The room is at capacity."),
    no_reentry: t("Re-entry is not allowed on this list."), already_inside: t("Already inside."),
    not_inside: t("No entry to leave from."), no_registration: t("No registration behind this badge."),
    cancelled: t("This registration was cancelled."),
    no_offline_data: t("No offline data for this list yet."), exit: t("Exit recorded."), reentry: t("Re-entry."),
  };

  // The result is also heard, not only seen in green or red: one high tone for admitted, two low
  // ones for refused (WebAudio; silent where the browser allows no sound before a tap).
  let audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tones = ok ? [[880, 0]] : [[220, 0], [220, 0.22]];
      tones.forEach(([frequency, delay]) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = frequency;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + delay);
        osc.stop(audio.currentTime + delay + 0.15);
      });
    } catch (e) { /* no audio: the text and colour remain */ }
  }

  function show(answer) {
    const ok = answer.result === "ok";
    beep(ok);
    overlay.className = "scan-result " + (ok ? "ok" : "bad");
    overlay.dataset.result = answer.result;
    const person = answer.attendee || {};
    byId("result-title").textContent = (TITLES[answer.result] || answer.result) + (answer.offline ? " " + t("(offline)") : "");
    byId("result-name").textContent = person.name || "";
    byId("result-org").textContent = person.organisation || "";
    byId("result-country").textContent = [person.country_name || person.country, person.mode === "online" ? t("Online") : (person.mode ? t("In person") : "")]
      .filter(Boolean).join(" · ");
    let reason = REASONS[answer.reason] || answer.message || "";
    if (answer.result === "already_checked_in" && answer.first_checked_in_at) {
      const when = timeOfDay(answer.first_checked_in_at);
      reason = t("First checked in at %(time)s.", { time: when });
      if (answer.first_checked_in_gate && answer.first_checked_in_by) {
        reason = t("First checked in at %(time)s, gate %(gate)s, by %(staff)s.", { time: when, gate: answer.first_checked_in_gate, staff: answer.first_checked_in_by });
      } else if (answer.first_checked_in_gate) {
        reason = t("First checked in at %(time)s, gate %(gate)s.", { time: when, gate: answer.first_checked_in_gate });
      } else if (answer.first_checked_in_by) {
        reason = t("First checked in at %(time)s, by %(staff)s.", { time: when, staff: answer.first_checked_in_by });
      }
    }
    byId("result-reason").textContent = ok && !answer.reason ? "" : reason;
    byId("result-undo").hidden = !(ok && state.lastScanId);
    overlay.hidden = false; // the focus stays in the field for the next handheld scan
    // Said quickly for one scan; a run of handheld scans is summed ("4 scans — Admitted · Name").
    const said = announcer({ delay: 250, gap: 1500 });
    said.count("scans", (n) => (n > 1 ? nt("%(num)s scan", "%(num)s scans", n) + " —" : ""));
    said.say([byId("result-title").textContent, person.name, byId("result-reason").textContent].filter(Boolean).join(" · "), "scan");
    addRecent(TITLES[answer.result] || answer.result, person.name || "", answer.offline ? "r-queued" : (ok ? "r-ok" : "r-bad"));
    clearTimeout(state.overlayTimer);
    state.overlayTimer = setTimeout(hideOverlay, RESULT_SHOW_MS);
  }

  function hideOverlay() {
    clearTimeout(state.overlayTimer);
    overlay.hidden = true;
    state.lastCodeAt = Date.now();
    if (!state.cameraStream) codeInput.focus(); // on a phone, a focused field would pop the keyboard up
  }

  function addRecent(title, name, cls) {
    const item = el("li", { className: cls }, timeOfDay(Date.now()) + " · " + title + (name ? " · " + name : ""));
    const list = byId("recent");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 20) list.removeChild(list.lastChild);
  }

  async function undoLast(event) {
    event.stopPropagation();
    if (!state.lastScanId) return;
    const scanId = state.lastScanId;
    state.lastScanId = null;
    try {
      const { status, data } = await api("POST", "/undo", { scan_id: scanId });
      addRecent(status === 200 ? t("Undone") : t("Undo failed"), (data && data.attendee && data.attendee.name) || "", status === 200 ? "r-ok" : "r-bad");
    } catch (err) {
      addRecent(t("Undo failed (offline)"), "", "r-bad");
    }
    hideOverlay();
  }

  // ---- camera ----------------------------------------------------------------------------------
  const video = byId("camera");
  const canvas = byId("frame");
  const context = canvas.getContext("2d", { willReadFrequently: true });

  async function startCamera() {
    if (state.cameraStream) return stopCamera();
    try {
      state.cameraStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (err) {
      byId("camera-state").textContent = t("No camera: %(reason)s. Use the text field.", { reason: err.name });
      return;
    }
    video.srcObject = state.cameraStream;
    await video.play();
    byId("camera-toggle").textContent = t("Stop camera");
    byId("camera-state").textContent = t("Point the camera at a badge.");
    requestAnimationFrame(tick);
  }
  function stopCamera() {
    state.cameraStream.getTracks().forEach((track) => track.stop());
    state.cameraStream = null;
    byId("camera-toggle").textContent = t("Start camera");
    byId("camera-state").textContent = "";
  }
  let lastDecode = 0;
  function tick(time) {
    if (!state.cameraStream) return;
    if (time - lastDecode > 150 && video.readyState >= 2 && overlay.hidden && !state.busy) {
      lastDecode = time;
      const width = video.videoWidth, height = video.videoHeight;
      if (width && height) {
        canvas.width = width;
        canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        const image = context.getImageData(0, 0, width, height);
        const found = window.jsQR ? window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" }) : null;
        if (found && found.data) handleCode(found.data);
      }
    }
    requestAnimationFrame(tick);
  }

  // ---- wiring ----------------------------------------------------------------------------------
  byId("manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = codeInput.value;
    codeInput.value = "";
    state.lastCode = null; // a typed or handheld scan is always deliberate
    handleCode(value);
  });
  overlay.addEventListener("click", hideOverlay);
  document.addEventListener("keydown", (event) => { if (!overlay.hidden && event.key !== "Tab") hideOverlay(); });
  byId("result-undo").addEventListener("click", undoLast);
  byId("camera-toggle").addEventListener("click", startCamera);
  byId("go-offline").addEventListener("click", () => { state.manualOffline = true; setOffline(true, t("Working offline by choice: scans are queued here until you press Sync now.")); });
  byId("sync-now").addEventListener("click", () => { state.manualOffline = false; probe(); });
  listSelect.addEventListener("change", () => { localStorage.setItem("checkin-list-" + EVENT_ID, listSelect.value); loadSnapshot(); });
  gateInput.addEventListener("change", () => localStorage.setItem("checkin-gate", gateInput.value));
  window.addEventListener("offline", () => setOffline(true));
  window.addEventListener("online", () => { if (!state.manualOffline) probe(); });

  (async function start() {
    const savedList = localStorage.getItem("checkin-list-" + EVENT_ID);
    if (savedList && listSelect.querySelector('option[value="' + savedList + '"]')) listSelect.value = savedList;
    gateInput.value = localStorage.getItem("checkin-gate") || gateInput.value;
    setOffline(!navigator.onLine);
    await loadSnapshot();
    if (await refreshQueueCount()) await probe();
    setInterval(() => { if (state.offline && !state.manualOffline) probe(); }, PROBE_EVERY_MS);
    root.dataset.ready = "1";
    if (new URLSearchParams(location.search).get("camera") === "1") startCamera();
  })();
}
