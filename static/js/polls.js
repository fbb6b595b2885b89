/* Polls on the live pages (see docs/protocol.md ("Polls on /live")). One script, three views, chosen by the
 * partial's container: [data-polls="live"] (vote), [data-polls="moderate"] (build, launch, close,
 * watch), [data-polls="screen"] (the hall's projector).
 *
 * The store is rebuilt from every join state (Live.onState) and kept current by the broadcasts
 * poll:opened / poll:results / poll:closed / poll:saved / poll:translated / poll:deleted. A tally older than the one
 * shown (by `version`) and any update after a poll closed are ignored: poll:closed is exact.
 * User text enters the page through textContent only (dom.js); charts are plain DOM (bars, cloud, list).
 */
import { el, minutesSeconds, replaceChildren, showAckError, smallButton } from "./dom.js";
import { LIMITS } from "./limits.js";
import Live from "./live.js";
import { announcer } from "./announcer.js";
import { localized, nt, t } from "./i18n.js";

var root = document.querySelector("[data-polls]");
if (root) { startPolls(root); }

function startPolls(root) {
  var mode = root.getAttribute("data-polls");

  // ------------------------------------------------------------------ helpers

  function votes(n) { return nt("%(num)s vote", "%(num)s votes", n); }

  function percent(count, total) { return total ? Math.round((100 * count) / total) : 0; }

  function showError(box, ack) { showAckError(box, ack, t("Something went wrong")); }

  var KIND_LABELS = { single: t("Single choice"), multiple: t("Multiple choice"), rating: t("Rating"),
                      word_cloud: t("Word cloud"), open_text: t("Open text") };

  // ------------------------------------------------------------------ store

  var entries = new Map();  // poll id -> {poll, tally, ballot, deadline}

  function deadlineOf(poll) {
    if (poll.status !== "open" || poll.remaining_s === null || poll.remaining_s === undefined) { return null; }
    return Date.now() + poll.remaining_s * 1000;  // server-relative: immune to a wrong client clock
  }

  function upsertPoll(poll, extra) {
    if (poll.session_id !== Live.sessionId) { return null; }
    var entry = entries.get(poll.id) || { tally: null, ballot: null };
    entry.poll = poll;
    entry.deadline = deadlineOf(poll);
    Object.assign(entry, extra || {});
    entries.set(poll.id, entry);
    return entry;
  }

  function resetFromState(state) {
    entries.clear();
    (state.polls || []).forEach(function (p) {
      upsertPoll(p, { tally: p.tally || null, ballot: p.my_ballot || null });
    });
  }

  function applyResults(tally) {
    var entry = entries.get(tally.poll_id);
    if (!entry || entry.poll.status === "closed") { return false; }
    if (entry.tally && entry.tally.version > tally.version) { return false; }
    entry.tally = tally;
    return true;
  }

  function sortedEntries(filter) {
    var list = Array.from(entries.values()).filter(filter || function () { return true; });
    var order = { open: 0, draft: 1, closed: 2 };
    list.sort(function (a, b) {
      return (order[a.poll.status] - order[b.poll.status]) ||
        String(b.poll.opened_at || "").localeCompare(String(a.poll.opened_at || "")) || b.poll.id - a.poll.id;
    });
    return list;
  }

  /* What the whole room may see: the projector shows only this, whoever is signed in on it. */
  function resultsPublic(poll) {
    return poll.results === "live" ? poll.status !== "draft" : poll.results === "after_close" && poll.status === "closed";
  }

  // ------------------------------------------------------------------ charts

  function barsChart(entry) {
    var poll = entry.poll, tally = entry.tally;
    var rows;
    if (poll.kind === "rating") {
      rows = Object.keys(tally.counts).map(function (value) { return { label: value, count: tally.counts[value] }; });
    } else {
      rows = poll.options.map(function (o) { return { label: localized(o, "text"), count: tally.counts[String(o.id)] || 0 }; });
    }
    var list = el("ol", { className: "poll-bars plain" + (poll.kind === "rating" ? " poll-rating" : "") });
    rows.forEach(function (row) {
      var item = el("li", { className: "poll-bar" });
      item.appendChild(el("span", { className: "poll-bar-label" }, row.label));
      var track = el("span", { className: "poll-bar-track", "aria-hidden": "true" });
      var fill = el("span", { className: "poll-bar-fill" });
      fill.style.width = percent(row.count, tally.total) + "%";  // the bar shows the share of voters
      track.appendChild(fill);
      item.appendChild(track);
      item.appendChild(el("span", { className: "poll-bar-count", "data-count": String(row.count) },
        row.count + " (" + percent(row.count, tally.total) + "%)"));
      list.appendChild(item);
    });
    return list;
  }

  function cloudChart(entry) {
    var words = entry.tally.words || {};
    var keys = Object.keys(words);
    var max = Math.max.apply(null, keys.map(function (w) { return words[w]; }).concat([1]));
    var cloud = el("p", { className: "poll-cloud" });
    keys.sort(function (a, b) { return a.localeCompare(b); }).forEach(function (word) {
      var span = el("span", { className: "poll-word", title: votes(words[word]) }, word);
      span.style.fontSize = (0.9 + 1.8 * words[word] / max).toFixed(2) + "em";
      span.appendChild(el("sup", { className: "poll-word-count" }, words[word]));
      cloud.appendChild(span);
      cloud.appendChild(document.createTextNode(" "));
    });
    if (!keys.length) { cloud.appendChild(el("span", { className: "muted" }, t("No words yet."))); }
    return cloud;
  }

  function textsChart(entry) {
    var list = el("ul", { className: "poll-texts plain" });
    (entry.tally.texts || []).forEach(function (text) { list.appendChild(el("li", {}, text)); });
    if (!list.firstChild) { list.appendChild(el("li", { className: "muted" }, t("No answers yet."))); }
    return list;
  }

  function chart(entry) {
    var box = el("div", { className: "poll-chart", "data-poll-chart": String(entry.poll.id) });
    var tally = entry.tally;
    if (entry.poll.kind === "word_cloud") { box.appendChild(cloudChart(entry)); }
    else if (entry.poll.kind === "open_text") { box.appendChild(textsChart(entry)); }
    else { box.appendChild(barsChart(entry)); }
    var summary = votes(tally.total) + (entry.poll.status === "closed" ? " · " + t("final") : "");
    if (entry.poll.kind === "rating" && tally.mean !== null && tally.mean !== undefined) {
      summary += " · " + t("average %(mean)s / %(scale)s", { mean: tally.mean, scale: entry.poll.scale });
    }
    box.appendChild(el("p", { className: "poll-total", "data-poll-total": String(tally.total) }, t("Total: %(summary)s", { summary: summary })));
    return box;
  }

  function emptyTally(poll) {
    var counts = {};
    if (poll.kind === "rating") { for (var i = 1; i <= poll.scale; i++) { counts[String(i)] = 0; } }
    else { poll.options.forEach(function (o) { counts[String(o.id)] = 0; }); }
    return { poll_id: poll.id, total: 0, version: 0, counts: counts, words: {}, texts: [] };
  }

  // ------------------------------------------------------------------ countdown

  function countdown(entry) {
    return el("span", { className: "poll-countdown", "data-deadline": String(entry.deadline || ""),
                        "aria-live": "off" });
  }

  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (node) {
      var deadline = Number(node.getAttribute("data-deadline"));
      if (!deadline) { node.textContent = ""; return; }
      var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      node.textContent = left > 0 ? minutesSeconds(left) + " left" : "closing…";
      node.classList.toggle("poll-countdown-low", left <= 10);
      var form = node.closest("[data-poll]") && node.closest("[data-poll]").querySelector("form");
      if (left === 0 && form) { Array.from(form.elements).forEach(function (f) { f.disabled = true; }); }
    });
  }
  setInterval(tick, 250);

  // ------------------------------------------------------------------ participant view

  function ballotSummary(entry) {
    var b = entry.ballot, poll = entry.poll;
    if (!b) { return ""; }
    if (b.choices) {
      return b.choices.map(function (id) {
        var option = poll.options.find(function (o) { return o.id === id; });
        return option ? localized(option, "text") : "?";
      }).join(", ");
    }
    if (b.rating !== null && b.rating !== undefined) { return b.rating + " / " + poll.scale; }
    if (b.words) { return b.words.join(", "); }
    return b.text || "";
  }

  function voteForm(entry) {
    var poll = entry.poll, ballot = entry.ballot;
    var form = el("form", { className: "poll-form", autocomplete: "off" });
    var name = "poll-" + poll.id;
    var fieldset = el("fieldset", {});
    fieldset.appendChild(el("legend", { className: "visually-hidden" }, localized(poll, "title")));
    if (poll.kind === "single" || poll.kind === "multiple") {
      var chosen = new Set((ballot && ballot.choices) || []);
      poll.options.forEach(function (o) {
        var input = el("input", { type: poll.kind === "single" ? "radio" : "checkbox", name: name, value: String(o.id),
                                  checked: chosen.has(o.id) });
        var label = el("label", { className: "choice" });
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + localized(o, "text")));
        fieldset.appendChild(label);
      });
      if (poll.kind === "multiple") {
        fieldset.appendChild(el("p", { className: "hint" }, t("Choose up to %(max)s.", { max: poll.max_choices })));
      }
    } else if (poll.kind === "rating") {
      var scale = el("div", { className: "poll-scale", role: "radiogroup" });
      for (var value = 1; value <= poll.scale; value++) {
        var radio = el("input", { type: "radio", name: name, value: String(value),
                                  checked: ballot && ballot.rating === value });
        var lab = el("label", { className: "poll-scale-value" });
        lab.appendChild(radio);
        lab.appendChild(el("span", {}, value));
        scale.appendChild(lab);
      }
      fieldset.appendChild(scale);
    } else if (poll.kind === "word_cloud") {
      var words = (ballot && ballot.words) || [];
      for (var i = 0; i < LIMITS.poll_words_per_ballot; i++) {
        fieldset.appendChild(el("input", { type: "text", name: name, maxLength: LIMITS.poll_word_max, value: words[i] || "",
                                           placeholder: i === 0 ? t("A word or two") : t("Another (optional)"),
                                           "aria-label": t("Word %(number)s", { number: i + 1 }), className: "poll-word-input" }));
      }
    } else {
      var area = el("textarea", { name: name, maxLength: LIMITS.poll_text_max, rows: 3, "aria-label": t("Your answer") });
      area.value = (ballot && ballot.text) || "";
      fieldset.appendChild(area);
    }
    form.appendChild(fieldset);
    var button = el("button", { type: "submit", className: "button small poll-submit" },
                    ballot ? t("Change my answer") : t("Vote"));
    form.appendChild(button);
    var error = el("p", { className: "error", role: "alert", hidden: true });
    form.appendChild(error);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var payload = collect(poll, form, name);
      if (!payload) { showError(error, { ok: false, error: { message: t("Choose or write an answer first.") } }); return; }
      button.disabled = true;
      Live.emit("poll:vote", payload).then(function (ack) {
        button.disabled = false;
        showError(error, ack);
        if (ack.ok) {
          entry.ballot = ack.ballot;
          render();
        }
      });
    });
    return form;
  }

  function collect(poll, form, name) {
    var payload = { poll_id: poll.id };
    var inputs = Array.from(form.querySelectorAll("[name='" + name + "']"));
    if (poll.kind === "single" || poll.kind === "multiple") {
      payload.choices = inputs.filter(function (i) { return i.checked; }).map(function (i) { return Number(i.value); });
      return payload.choices.length ? payload : null;
    }
    if (poll.kind === "rating") {
      var picked = inputs.find(function (i) { return i.checked; });
      if (!picked) { return null; }
      payload.rating = Number(picked.value);
      return payload;
    }
    if (poll.kind === "word_cloud") {
      payload.words = inputs.map(function (i) { return i.value.trim(); }).filter(Boolean);
      return payload.words.length ? payload : null;
    }
    payload.text = inputs[0].value.trim();
    return payload.text ? payload : null;
  }

  function resultsNote(poll) {
    if (poll.results === "hidden") { return t("Results are not shown to participants."); }
    if (poll.results === "after_close" && poll.status !== "closed") { return t("Results appear when the poll closes."); }
    return "";
  }

  function participantCard(entry) {
    var poll = entry.poll;
    var card = el("article", { className: "poll-card poll-" + poll.status, "data-poll": String(poll.id) });
    var head = el("header", { className: "poll-head" });
    head.appendChild(el("h3", { className: "poll-title" }, localized(poll, "title")));
    head.appendChild(el("span", { className: "badge" }, poll.status === "open" ? "open" : "closed"));
    if (poll.status === "open" && entry.deadline) { head.appendChild(countdown(entry)); }
    card.appendChild(head);
    if (poll.status === "open") {
      if (entry.ballot) {
        card.appendChild(el("p", { className: "poll-thanks", "data-poll-voted": "1" },
                            t("Your answer: %(answer)s", { answer: ballotSummary(entry) })));
      }
      if (!entry.ballot || poll.allow_change) { card.appendChild(voteForm(entry)); }
    } else if (entry.ballot) {
      card.appendChild(el("p", { className: "muted" }, t("Your answer: %(answer)s", { answer: ballotSummary(entry) })));
    }
    var tally = entry.tally || (resultsPublic(poll) ? emptyTally(poll) : null);
    if (tally) { card.appendChild(chart({ poll: poll, tally: tally })); }
    else if (resultsNote(poll)) { card.appendChild(el("p", { className: "hint" }, resultsNote(poll))); }
    return card;
  }

  // ------------------------------------------------------------------ moderator view

  var builder = document.getElementById("poll-builder");
  var editingId = null;
  var translatingId = null;  // a launched poll whose translations (only) the builder edits

  function formSpec() {
    var f = builder.elements;
    var spec = { title: f.title.value, kind: f.kind.value, results: f.results.value,
                 allow_change: f.allow_change.checked, options: [] };
    if (spec.kind === "single" || spec.kind === "multiple") {
      spec.options = f.options.value.split("\n").map(function (o) { return o.trim(); }).filter(Boolean);
    }
    if (spec.kind === "multiple" && f.max_choices.value) { spec.max_choices = Number(f.max_choices.value); }
    if (spec.kind === "rating") { spec.scale = Number(f.scale.value); }
    if (f.duration_s.value) { spec.duration_s = Number(f.duration_s.value); }
    var titles = {}, optionTexts = spec.options.map(function () { return {}; });
    builder.querySelectorAll("[data-tr-title]").forEach(function (input) {
      if (input.value.trim()) { titles[input.getAttribute("data-tr-title")] = input.value.trim(); }
    });
    builder.querySelectorAll("[data-tr-options]").forEach(function (area) {
      var code = area.getAttribute("data-tr-options");
      // Line i translates option i: an empty line leaves that option in its original text.
      area.value.split("\n").forEach(function (line, i) {
        if (line.trim() && i < optionTexts.length) { optionTexts[i][code] = line.trim(); }
      });
    });
    spec.translations = { title: titles };
    spec.option_translations = optionTexts;
    return spec;
  }

  function showKindFields() {
    var kind = builder.elements.kind.value;
    builder.querySelectorAll("[data-for-kinds]").forEach(function (node) {
      node.hidden = node.getAttribute("data-for-kinds").split(" ").indexOf(kind) < 0;
    });
  }

  function fillBuilder(poll, translating) {
    var f = builder.elements;
    editingId = poll && !translating ? poll.id : null;
    translatingId = poll && translating ? poll.id : null;
    f.title.value = poll ? poll.title : "";
    f.kind.value = poll ? poll.kind : "single";
    f.options.value = poll ? poll.options.map(function (o) { return o.text; }).join("\n") : "";
    f.max_choices.value = poll && poll.kind === "multiple" ? poll.max_choices : "";
    f.scale.value = poll && poll.scale ? String(poll.scale) : "5";
    f.results.value = poll ? poll.results : "live";
    f.duration_s.value = poll && poll.duration_s ? poll.duration_s : "";
    f.allow_change.checked = poll ? poll.allow_change : false;
    var titles = (poll && poll.translations && poll.translations.title) || {};
    builder.querySelectorAll("[data-tr-title]").forEach(function (input) {
      input.value = titles[input.getAttribute("data-tr-title")] || "";
    });
    builder.querySelectorAll("[data-tr-options]").forEach(function (area) {
      var code = area.getAttribute("data-tr-options");
      area.value = poll ? poll.options.map(function (o) {
        return (o.translations && o.translations.text && o.translations.text[code]) || "";
      }).join("\n").replace(/\n+$/, "") : "";
    });
    builder.querySelector("[data-editing]").hidden = !editingId;
    builder.querySelector("[data-translating]").hidden = !translatingId;
    builder.querySelector("[data-launch]").hidden = !!translatingId;
    if (translatingId) { builder.querySelector("[data-poll-translations]").open = true; }
    showKindFields();
  }

  function saveTranslations() {
    var spec = formSpec();
    var payload = { poll_id: translatingId, title: spec.translations.title, options: spec.option_translations };
    return Live.emit("poll:translate", payload).then(function (ack) {
      showError(document.getElementById("poll-builder-error"), ack);
      if (ack.ok) { upsertPoll(ack.poll); fillBuilder(null); render(); }
      return ack;
    });
  }

  function saveDraft(launch) {
    if (translatingId) { return saveTranslations(); }
    var errorBox = document.getElementById("poll-builder-error");
    var spec = formSpec();
    var event = editingId ? "poll:update" : "poll:create";
    if (editingId) { spec.poll_id = editingId; } else { spec.session_id = Live.sessionId; }
    return Live.emit(event, spec).then(function (ack) {
      showError(errorBox, ack);
      if (!ack.ok) { return ack; }
      upsertPoll(ack.poll);
      fillBuilder(null);
      render();
      return launch ? control("poll:open", ack.poll.id) : ack;
    });
  }

  function control(event, pollId) {
    return Live.emit(event, { poll_id: pollId }).then(function (ack) {
      showError(document.getElementById("poll-list-error"), ack);
      if (ack.ok && ack.poll) {
        upsertPoll(ack.poll, ack.results ? { tally: ack.results } : {});
      }
      if (ack.ok && event === "poll:delete") { entries.delete(pollId); }
      render();
      return ack;
    });
  }

  function moderatorCard(entry) {
    var poll = entry.poll;
    var card = el("article", { className: "poll-card poll-" + poll.status, "data-poll": String(poll.id) });
    var head = el("header", { className: "poll-head" });
    head.appendChild(el("h3", { className: "poll-title" }, poll.title));
    head.appendChild(el("span", { className: "badge" }, poll.status));
    if (poll.status === "open" && entry.deadline) { head.appendChild(countdown(entry)); }
    card.appendChild(head);
    var facts = [KIND_LABELS[poll.kind]];
    if (poll.kind === "multiple") { facts.push("up to " + poll.max_choices); }
    if (poll.kind === "rating") { facts.push("1–" + poll.scale); }
    facts.push({ live: "results live", after_close: "results after close", hidden: "results hidden" }[poll.results]);
    if (poll.duration_s) { facts.push(poll.duration_s + " s"); }
    if (poll.allow_change) { facts.push("answers can change"); }
    card.appendChild(el("p", { className: "meta poll-facts" }, facts.join(" · ")));
    var actions = el("div", { className: "poll-actions" });
    if (poll.status === "draft") {
      actions.appendChild(smallButton(t("Launch"), "poll-launch", function () { control("poll:open", poll.id); }));
      actions.appendChild(smallButton(t("Edit"), "secondary", function () { fillBuilder(poll); builder.elements.title.focus(); }));
      actions.appendChild(smallButton(t("Delete"), "danger", function () { control("poll:delete", poll.id); }));
    } else if (poll.status === "open") {
      actions.appendChild(smallButton(t("Close now"), "danger poll-close", function () { control("poll:close", poll.id); }));
    }
    if (poll.status !== "draft") {
      actions.appendChild(smallButton(t("Translations"), "secondary", function () {
        fillBuilder(poll, true);
        var first = builder.querySelector("[data-tr-title]");
        if (first) { first.focus(); }
      }));
    }
    if (poll.status === "closed") {
      actions.appendChild(el("a", { className: "button small secondary",
        href: "/events/" + encodeURIComponent(Live.eventSlug) + "/sessions/" + poll.session_id + "/polls/" + poll.id + ".csv" },
        t("Export CSV")));
      actions.appendChild(smallButton(t("Delete"), "danger", function () {
        if (window.confirm(t("Delete this poll and its votes?"))) { control("poll:delete", poll.id); }
      }));
    }
    card.appendChild(actions);
    if (poll.status !== "draft") { card.appendChild(chart({ poll: poll, tally: entry.tally || emptyTally(poll) })); }
    return card;
  }

  if (mode === "moderate" && builder) {
    builder.elements.kind.addEventListener("change", showKindFields);
    builder.addEventListener("submit", function (e) { e.preventDefault(); saveDraft(false); });
    builder.querySelector("[data-launch]").addEventListener("click", function () { saveDraft(true); });
    builder.querySelectorAll("[data-cancel-edit]").forEach(function (button) {
      button.addEventListener("click", function () { fillBuilder(null); });
    });
    fillBuilder(null);
  }

  // ------------------------------------------------------------------ screen view

  function screenView() {
    var visible = sortedEntries(function (e) { return e.poll.status !== "draft"; });
    var current = visible[0];
    if (!current) { return []; }
    var poll = current.poll;
    var card = el("article", { className: "poll-card poll-screen poll-" + poll.status, "data-poll": String(poll.id) });
    card.appendChild(el("p", { className: "screen-label" }, poll.status === "open" ? t("Poll — vote now") : t("Poll results")));
    card.appendChild(el("h2", { className: "poll-title" }, localized(poll, "title")));
    if (poll.status === "open" && current.deadline) { card.appendChild(countdown(current)); }
    if (resultsPublic(poll)) {
      card.appendChild(chart({ poll: poll, tally: current.tally || emptyTally(poll) }));
    } else if (poll.status === "open") {
      card.appendChild(el("p", { className: "poll-screen-hint" }, t("Vote on your phone: scan the code.")));
    } else {
      card.appendChild(el("p", { className: "poll-screen-hint" }, t("This poll is closed.")));
    }
    return [card];
  }

  // ------------------------------------------------------------------ rendering

  var list = root.querySelector("[data-poll-list]");
  var empty = root.querySelector("[data-poll-empty]");

  function render() {
    var cards;
    if (mode === "moderate") { cards = sortedEntries().map(moderatorCard); }
    else if (mode === "screen") { cards = screenView(); }
    else { cards = sortedEntries(function (e) { return e.poll.status !== "draft"; }).map(participantCard); }
    // Keep what someone is typing: a card whose text field has focus is kept, only its chart updates.
    var active = document.activeElement;
    var typing = active && (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" && active.type === "text"));
    var kept = typing && list.contains(active) ? active.closest("[data-poll]") : null;
    replaceChildren(list);
    cards.forEach(function (card) {
      if (kept && card.getAttribute("data-poll") === kept.getAttribute("data-poll")) {
        var fresh = card.querySelector(".poll-chart"), old = kept.querySelector(".poll-chart");
        if (fresh && old) { old.replaceWith(fresh); } else if (fresh) { kept.appendChild(fresh); }
        list.appendChild(kept);
        active.focus();
      } else {
        list.appendChild(card);
      }
    });
    if (empty) { empty.hidden = cards.length > 0; }
    root.hidden = mode === "screen" && cards.length === 0;
    tick();
  }

  Live.onState(function (state) { resetFromState(state); render(); });
  Live.on("poll:opened", function (data) {
    if (!upsertPoll(data.poll, { tally: null })) { return; }
    render();
    announcer().say(t("Poll opened: %(title)s", { title: localized(data.poll, "title") }), "poll:" + data.poll.id);
  });
  Live.on("poll:saved", function (data) { if (upsertPoll(data.poll)) { render(); } });
  Live.on("poll:translated", function (data) { if (upsertPoll(data.poll)) { render(); } });
  Live.on("poll:results", function (tally) { if (applyResults(tally)) { render(); } });
  Live.on("poll:closed", function (data) {
    var entry = entries.get(data.poll_id);
    var extra = data.results ? { tally: data.results } : {};
    // The room's copy of a hidden poll's close carries no results: keep what moderators already hold.
    if (upsertPoll(data.poll, extra) || entry) {
      render();
      announcer().say(t("Poll closed: %(title)s", { title: localized(data.poll, "title") }), "poll:" + data.poll_id);
    }
  });
  Live.on("poll:deleted", function (data) { if (entries.delete(data.poll_id)) { render(); } });
}
