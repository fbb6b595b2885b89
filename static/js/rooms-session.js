/* Shared by the live, moderate and screen pages: the session's title, time and stream, kept current
 * (a moved session's `session:updated`, the start and end times passing), and the event's announcement.
 *
 * The stream box shows the player only while the session runs and has a stream; otherwise a card
 * says why ("starts at 14:00, in 2 h", "no stream yet", "this session has ended"). The same rule as
 * conference.programme.streams.session_phase. The player is rebuilt only when its address changes,
 * so a reconnect does not restart the video. User text only ever enters the page through textContent.
 */
import { el, replaceChildren, showAckError } from "./dom.js";
import Live from "./live.js";
import { language, nt, t } from "./i18n.js";

var body = document.body;
var eventId = Number(body.dataset.eventId);
var zone = body.dataset.eventTz || undefined;
var session = null;
var timer = null;
var MINUTE = 60000;

/* --- times ------------------------------------------------------------------------------- */

// Dates in the page's language; English pages keep the British order they always had ("Monday 6 May").
var dateLocale = language === "en" ? "en-GB" : language;

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(dateLocale, Object.assign({ timeZone: zone, hourCycle: "h23" }, options));
  } catch (e) {  // an unknown zone in an old browser: the viewer's own
    return new Intl.DateTimeFormat(dateLocale, Object.assign({ hourCycle: "h23" }, options));
  }
}
var clock = formatter({ hour: "2-digit", minute: "2-digit" });
var dayOf = formatter({ weekday: "long", day: "numeric", month: "long" });
var zoneName = formatter({ timeZoneName: "short" });

function shortZone(date) {
  var part = zoneName.formatToParts(date).find(function (p) { return p.type === "timeZoneName"; });
  return part ? part.value : "";
}

function inHowLong(ms) {
  var minutes = Math.max(1, Math.ceil(ms / MINUTE));
  if (minutes < 60) { return nt("in %(num)s min", "in %(num)s min", minutes); }
  var hours = Math.floor(minutes / 60);
  if (hours >= 48) { return nt("in %(num)s day", "in %(num)s days", Math.round(hours / 24)); }
  var rest = minutes % 60;
  return rest && hours < 10
    ? t("in %(hours)s h %(minutes)s min", { hours: hours, minutes: rest })
    : t("in %(hours)s h", { hours: hours });
}

function phaseOf(s, now) {
  if (now < Date.parse(s.starts_at)) { return "upcoming"; }
  if (now >= Date.parse(s.ends_at)) { return "ended"; }
  return "live";
}

/* --- title, time and room ---------------------------------------------------------------- */

var shownTitle = (document.querySelector("[data-session-title]") || {}).textContent || "";

function renderHeading(s) {
  document.querySelectorAll("[data-session-title]").forEach(function (el) { el.textContent = s.title; });
  var start = new Date(s.starts_at);
  var range = clock.format(start) + "–" + clock.format(new Date(s.ends_at)) + " " + shortZone(start);
  document.querySelectorAll("[data-session-when]").forEach(function (node) {
    // The range keeps its left-to-right order on Arabic pages ("09:00–09:45", not "09:45–09:00").
    replaceChildren(node, [el("span", { dir: "ltr" }, range), s.room ? " · " + s.room : ""].filter(Boolean));
  });
  if (s.title && shownTitle && s.title !== shownTitle) {
    document.title = document.title.split(shownTitle).join(s.title);
  }
  shownTitle = s.title;
}

/* --- the stream box ---------------------------------------------------------------------- */

var box = document.getElementById("stream-box");
var player = box && box.querySelector("[data-stream-player]");
var card = box && box.querySelector("[data-stream-card]");

function setCard(title, detail) {
  card.querySelector("[data-stream-card-title]").textContent = title;
  card.querySelector("[data-stream-card-detail]").textContent = detail;
}

function clearPlayer() {
  var video = player.querySelector("video");
  if (video && video.__hls) { video.__hls.destroy(); }
  player.textContent = "";
  delete player.dataset.embedUrl;
}

var hlsLoading = null;
function loadHls() {
  if (window.Hls) { return Promise.resolve(window.Hls); }
  if (!hlsLoading) {
    hlsLoading = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = body.dataset.hlsSrc;
      script.onload = function () { resolve(window.Hls); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  return hlsLoading;
}

function playHls(video, url) {
  if (video.canPlayType("application/vnd.apple.mpegurl")) {  // Safari plays HLS natively
    video.src = url;
    return;
  }
  loadHls().then(function (Hls) {
    if (!Hls || !Hls.isSupported()) {
      setCard(t("This browser cannot play the stream"), t("Try another browser, or open it on your phone."));
      player.hidden = true;
      card.hidden = false;
      return;
    }
    var hls = new Hls({ lowLatencyMode: true });
    video.__hls = hls;
    hls.loadSource(url);
    hls.attachMedia(video);
  }, function () {
    setCard(t("The video player could not be loaded"), t("Reload the page to try again."));
    player.hidden = true;
    card.hidden = false;
  });
}

function showPlayer(stream, title) {
  if (player.dataset.embedUrl === stream.embed_url && player.firstElementChild) { return; }
  clearPlayer();
  player.dataset.embedUrl = stream.embed_url;
  if (stream.kind === "hls") {
    var video = document.createElement("video");
    video.controls = true;
    video.autoplay = true;
    video.muted = true;  // browsers only autoplay muted video
    video.playsInline = true;
    video.setAttribute("aria-label", t("Live stream of %(title)s", { title: title }));
    player.appendChild(video);
    playHls(video, stream.embed_url);
  } else {
    var frame = document.createElement("iframe");
    frame.src = stream.embed_url;
    frame.title = t("Live stream of %(title)s", { title: title });
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    player.appendChild(frame);
  }
}

/* The stream of the language the viewer picked (interpretation.js), or undefined: the session's own. */
var chosenStream;

function chooseStream(stream) {
  chosenStream = stream;
  render();
}

function renderStream(s, now) {
  if (!box) { return; }
  var phase = phaseOf(s, now);
  box.dataset.phase = phase;
  var stream = chosenStream !== undefined ? chosenStream : s.stream;
  var playing = phase === "live" && !!stream;
  if (playing) {
    showPlayer(stream, s.title);
  } else {
    clearPlayer();
    var start = new Date(s.starts_at);
    if (phase === "upcoming") {
      var sameDay = dayOf.format(start) === dayOf.format(new Date(now));
      setCard(sameDay
                ? t("This session starts at %(time)s %(zone)s, %(wait)s", { time: clock.format(start), zone: shortZone(start), wait: inHowLong(start - now) })
                : t("This session starts on %(day)s at %(time)s %(zone)s, %(wait)s", { day: dayOf.format(start), time: clock.format(start), zone: shortZone(start), wait: inHowLong(start - now) }),
              t("The stream will appear here when it starts. You can already ask questions and chat."));
    } else if (phase === "ended") {
      setCard(t("This session has ended"), t("Thank you for joining. The questions and the chat stay readable."));
    } else {
      setCard(t("No stream yet"), t("The stream will appear here as soon as the organisers add it. Ask your questions and chat in the meantime."));
    }
  }
  player.hidden = !playing;
  card.hidden = playing;
}

/* Redraw at the next start or end, and every minute before the start for the countdown. */
function schedule() {
  clearTimeout(timer);
  if (!session) { return; }
  var now = Date.now();
  var next = [Date.parse(session.starts_at), Date.parse(session.ends_at)]
    .filter(function (t) { return t > now; })
    .map(function (t) { return t - now; });
  if (!next.length) { return; }
  var wait = Math.min(Math.min.apply(null, next) + 50, MINUTE);
  timer = setTimeout(function () { render(); }, wait);
}

function render() {
  if (!session) { return; }
  renderHeading(session);
  renderStream(session, Date.now());
  schedule();
}

Live.onState(function (state) {
  session = Object.assign({}, state.session);
  render();
  showAnnouncement(state.announcement || null);
});

Live.on("session:updated", function (update) {
  if (update.id !== Live.sessionId) { return; }
  session = Object.assign({}, session || {}, update);
  var last = Live.state();
  if (last) { Object.assign(last.session, update); }
  render();
});

/* Phones sleep and timers drift: check again when the page comes back. */
document.addEventListener("visibilitychange", function () { if (!document.hidden) { render(); } });

/* --- announcements ----------------------------------------------------------------------- */

var banner = document.getElementById("announcement");
var shown = null;

function dismissedKey(id) { return "announcement-dismissed:" + id; }

function isDismissed(id) {
  try { return window.localStorage.getItem(dismissedKey(id)) === "1"; } catch (e) { return false; }
}

function showAnnouncement(announcement) {
  if (!banner) { return; }
  shown = announcement;
  if (!announcement || isDismissed(announcement.id)) {
    banner.hidden = true;
    return;
  }
  banner.querySelector("[data-announcement-text]").textContent = announcement.text;
  banner.dataset.announcementId = String(announcement.id);
  banner.hidden = false;
}

if (banner) {
  banner.querySelector("[data-announcement-dismiss]").addEventListener("click", function () {
    if (shown) {
      try { window.localStorage.setItem(dismissedKey(shown.id), "1"); } catch (e) { /* private mode */ }
    }
    banner.hidden = true;
  });
}

Live.on("announcement:new", function (data) {
  if (data.announcement && data.announcement.event_id === eventId) { showAnnouncement(data.announcement); }
});
Live.on("announcement:withdrawn", function (data) {
  if (data.event_id !== eventId) { return; }
  if (!shown || shown.id === data.announcement_id || (data.current && data.current.id !== shown.id)) {
    showAnnouncement(data.current || null);
  }
});

/* --- the moderator console's send form ------------------------------------------------------ */

var form = document.getElementById("announce-form");
if (form) {
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("announce-text");
    var text = input.value.trim();
    if (!text) { return; }
    Live.emit("announcement:send", { event_id: eventId, text: text }).then(function (ack) {
      showAckError(document.getElementById("announce-error"), ack, t("Something went wrong."));
      if (ack.ok) {
        input.value = "";
        showAnnouncement(ack.announcement);
      }
    });
  });
}

export { phaseOf, inHowLong, render, chooseStream };
