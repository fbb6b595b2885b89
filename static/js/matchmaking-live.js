/* Matchmaking on a session's live page and projector screen: the practices and the countries
 * interested, rebuilt from the join state after every (re)join and kept current by the broadcasts
 * `matchmaking:practice`, `matchmaking:practice_removed` and `matchmaking:interest`
 * (docs/protocol.md). Every text enters the page through textContent; the words come from the
 * page's catalogue (i18n.js), country names from the browser in the page's language. */
import { replaceChildren, setText, show } from "./dom.js";
import { language, nt, t } from "./i18n.js";
import Live from "./live.js";

var box = document.querySelector("[data-matchmaking-live]");
var list = box.querySelector("[data-mm-list]");
var rowTemplate = box.querySelector("template[data-mm-row]");
var empty = box.querySelector("[data-mm-empty]");
var countText = box.querySelector("[data-mm-possibilities-text]");
var regionNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames([language], { type: "region" }) : null;

// A country's name in the page's language: the broadcasts carry the code and the sender's name for it.
function countryName(code, fallback) {
  try { return (code && regionNames && regionNames.of(code)) || fallback || code || ""; } catch (e) { return fallback || code || ""; }
}
var practices = new Map(); // id → practice (public shape), newest first on the page

function interestedText(practice) {
  var names = (practice.interests || []).map(function (i) { return countryName(i.country, i.country_name); });
  return names.length ? names.join(t(", ")) : t("none yet");
}

function row(practice) {
  var item = rowTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.practiceId = String(practice.id);
  setText(item.querySelector('[data-field="title"]'), practice.title);
  setText(item.querySelector('[data-field="country"]'), countryName(practice.country, practice.country_name));
  setText(item.querySelector('[data-field="interested"]'), interestedText(practice));
  return item;
}

function render() {
  var ordered = Array.from(practices.values()).sort(function (a, b) { return b.id - a.id; });
  replaceChildren(list, ordered.map(row));
  show(empty, ordered.length === 0);
  var total = ordered.reduce(function (sum, p) { return sum + (p.interests || []).length; }, 0);
  var counter = document.createElement("span");
  counter.dataset.mmCount = "";
  counter.textContent = String(total);
  // The plural form of the sentence changes with the count: rebuild it around the number's element.
  var parts = nt("%(count)s possibility", "%(count)s possibilities", total, { count: "\u0000" }).split("\u0000");
  replaceChildren(countText, [document.createTextNode(parts[0] || ""), counter, document.createTextNode(parts.slice(1).join(""))]);
}

Live.onState(function (state) {
  practices.clear();
  ((state.matchmaking && state.matchmaking.practices) || []).forEach(function (p) { practices.set(p.id, p); });
  render();
});

Live.on("matchmaking:practice", function (practice) {
  practices.set(practice.id, practice);
  render();
});
Live.on("matchmaking:practice_removed", function (body) {
  practices.delete(body.id);
  render();
});
Live.on("matchmaking:interest", function (body) {
  var practice = practices.get(body.practice_id);
  if (!practice) { return; }
  var others = (practice.interests || []).filter(function (i) { return i.id !== body.interest.id; });
  others.push(body.interest);
  others.sort(function (a, b) { return countryName(a.country, a.country_name).localeCompare(countryName(b.country, b.country_name), language); });
  practice.interests = others;
  practice.possibilities = body.possibilities;
  render();
});
