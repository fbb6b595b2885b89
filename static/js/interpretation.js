/* Interpretation channels on the three live pages: one stream per language.
 *
 * Live page: a language picker for the stream. It starts on the language this person picked before
 * (remembered per person in localStorage), else the page's language where a live channel exists,
 * else the floor; it switches the player without reloading (rooms-session.js chooseStream). When the
 * chosen channel goes off, the picker falls back to the floor and says so.
 * Moderator console: every channel with its state in words and a button to switch it on or off.
 * Screen: the live channels, by name.
 * The list comes with every join (`state.interpretation.channels`) and with each
 * `interpretation:channels` broadcast. Text only enters the page through textContent.
 */
import { el, replaceChildren, showAckError } from "./dom.js";
import Live from "./live.js";
import { language, languageName, t } from "./i18n.js";
import { chooseStream } from "./rooms-session.js";

var body = document.body;
var picker = document.getElementById("interpretation-picker");
var pickerBox = document.getElementById("interpretation");
var note = document.querySelector("[data-interpretation-note]");
var console_ = document.getElementById("interpretation-console");
var screenBox = document.getElementById("interpretation-screen");
var channels = [];
var current = null;  // the language playing on this page

function storageKey() { return "interpretation-language:" + (body.dataset.userId || ""); }

function remembered() {
  try { return window.localStorage.getItem(storageKey()); } catch (e) { return null; }
}

function remember(code) {
  try { window.localStorage.setItem(storageKey(), code); } catch (e) { /* private mode */ }
}

function nameOf(channel) {
  var name = channel.label || languageName(channel.language);
  return channel.floor ? t("Floor · %(language)s", { language: name }) : name;
}

function find(code) {
  return channels.find(function (c) { return c.language === code && c.live; }) || null;
}

function floor() {
  return channels.find(function (c) { return c.floor && c.live; }) || channels.find(function (c) { return c.live; }) || null;
}

/* The channel to start on: the person's earlier choice, their language, the floor. */
function firstChoice() {
  var pageLanguage = String(language || "").split("-")[0];
  return find(remembered()) || find(pageLanguage) || floor();
}

/* --- the live page's picker ---------------------------------------------------------------- */

function play(channel) {
  current = channel ? channel.language : null;
  if (channels.length) {
    chooseStream(channel ? channel.stream : null);
  } else {
    chooseStream(undefined);  // no channels: the session's own stream, as before
  }
  if (picker && channel) { picker.value = channel.language; }
}

function renderPicker() {
  if (!picker) { return; }
  replaceChildren(picker, channels.map(function (c) {
    var text = c.live ? nameOf(c) : t("%(channel)s (off)", { channel: nameOf(c) });
    return el("option", { value: c.language, disabled: !c.live, lang: c.language }, text);
  }));
  pickerBox.hidden = channels.length < 2;
  if (current) { picker.value = current; }
}

function update(list, fromJoin) {
  channels = list || [];
  var before = current;
  var next = (current && find(current)) || firstChoice();  // a reconnect keeps what plays
  renderPicker();
  play(next);
  if (note) {
    if (before && !fromJoin && (!next || next.language !== before)) {
      var gone = channels.find(function (c) { return c.language === before; });
      note.textContent = t("The %(channel)s channel is off: you hear %(now)s.", {
        channel: gone ? nameOf(gone) : before,
        now: next ? nameOf(next) : t("nothing for now"),
      });
    } else {
      note.textContent = "";
    }
  }
  renderConsole();
  renderScreen();
}

if (picker) {
  picker.addEventListener("change", function () {
    var chosen = find(picker.value);
    if (!chosen) { return; }
    remember(chosen.language);
    if (note) { note.textContent = ""; }
    play(chosen);
  });
}

/* --- the moderator console ----------------------------------------------------------------- */

function renderConsole() {
  if (!console_) { return; }
  var list = console_.querySelector("[data-interpretation-list]");
  console_.querySelector("[data-interpretation-empty]").hidden = channels.length > 0;
  replaceChildren(list, channels.map(function (c) {
    var item = el("li", { "data-channel": c.language, "data-live": c.live ? "1" : "0" });
    item.appendChild(el("span", { className: "channel-name", lang: c.language }, nameOf(c)));
    item.appendChild(el("span", { className: "channel-state" }, " · " + (c.live ? t("live") : t("off")) + " "));
    if (c.id === null) {
      item.appendChild(el("span", { className: "muted" }, t("(the session's stream)")));
    } else {
      var action = c.live ? t("Switch off") : t("Switch on");
      // Each button names its channel for screen readers ("Switch off · Arabic"), not only its action.
      var button = el("button", { type: "button", className: "button small secondary", "aria-label": action + " · " + nameOf(c) },
                      action);
      button.addEventListener("click", function () { toggle(c, button); });
      item.appendChild(button);
    }
    return item;
  }));
}

function toggle(channel, button) {
  button.disabled = true;
  Live.emit("interpretation:live", { session_id: Live.sessionId, language: channel.language, live: !channel.live })
    .then(function (ack) {
      button.disabled = false;
      showAckError(document.getElementById("interpretation-error"), ack, t("Something went wrong."));
      if (ack.ok) { update(ack.channels, false); }
    });
}

/* --- the screen ---------------------------------------------------------------------------- */

function renderScreen() {
  if (!screenBox) { return; }
  var live = channels.filter(function (c) { return c.live; });
  screenBox.hidden = live.length < 2;
  replaceChildren(screenBox.querySelector("[data-interpretation-live]"), live.map(function (c) {
    return el("li", { lang: c.language, "data-channel": c.language }, nameOf(c));
  }));
}

Live.onState(function (state) {
  update((state.interpretation && state.interpretation.channels) || [], true);
});

Live.on("interpretation:channels", function (data) {
  if (data.session_id !== Live.sessionId) { return; }
  update(data.channels, false);
});
