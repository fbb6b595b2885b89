/* Matchmaking on a session's live page and projector screen: the practices and the countries
 * interested, rebuilt from the join state after every (re)join and kept current by the broadcasts
 * `matchmaking:practice`, `matchmaking:practice_removed` and `matchmaking:interest`
 * (docs/protocol.md). Every text enters the page through textContent; the words come from the
 * template. */
import { replaceChildren, setText, show } from "./dom.js";
import { localized } from "./i18n.js";
import Live from "./live.js";

var box = document.querySelector("[data-matchmaking-live]");
var list = box.querySelector("[data-mm-list]");
var rowTemplate = box.querySelector("template[data-mm-row]");
var empty = box.querySelector("[data-mm-empty]");
var count = box.querySelector("[data-mm-count]");
var practices = new Map(); // id → practice (public shape), newest first on the page

function interestedText(practice, none) {
  var names = (practice.interests || []).map(function (i) { return i.country_name; });
  return names.length ? names.join(", ") : none;
}

function row(practice) {
  var item = rowTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.practiceId = String(practice.id);
  setText(item.querySelector('[data-field="title"]'), localized(practice, "title"));
  setText(item.querySelector('[data-field="country"]'), practice.country_name);
  var interested = item.querySelector('[data-field="interested"]');
  setText(interested, interestedText(practice, interested.dataset.none || ""));
  return item;
}

function render() {
  var ordered = Array.from(practices.values()).sort(function (a, b) { return b.id - a.id; });
  replaceChildren(list, ordered.map(row));
  show(empty, ordered.length === 0);
  setText(count, ordered.reduce(function (sum, p) { return sum + (p.interests || []).length; }, 0));
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
  others.sort(function (a, b) { return a.country_name.localeCompare(b.country_name); });
  practice.interests = others;
  practice.possibilities = body.possibilities;
  render();
});
