/* Shared by the live, moderate and screen pages: the question and chat stores and DOM helpers.
 *
 * Stores are rebuilt from every join state and then kept current by broadcasts. Questions are
 * upserted by id and merged field by field: a moderator receives the public copy of an anonymous
 * question (no author) and the moderators' copy (with author); merging keeps the author.
 * User text only ever enters the page through textContent (dom.js).
 */
import { announcer } from "./announcer.js";
import { el, hoursMinutes, showAckError } from "./dom.js";
import Live from "./live.js";
import { nt, t } from "./i18n.js";

function QuestionStore() {
  this.byId = new Map();
  this.myVotes = new Set();
  this.sort = "votes";
}
QuestionStore.prototype.reset = function (state) {
  var self = this;
  this.byId.clear();
  (state.questions || []).forEach(function (q) { self.byId.set(q.id, q); });
  this.myVotes = new Set(state.my_votes || []);
};
QuestionStore.prototype.upsert = function (question) {
  if (question.session_id !== Live.sessionId) { return false; }
  var existing = this.byId.get(question.id);
  this.byId.set(question.id, existing ? Object.assign({}, existing, question) : question);
  if (question.pinned) {
    this.byId.forEach(function (q) { if (q.id !== question.id && q.pinned) { q.pinned = false; } });
  }
  return true;
};
QuestionStore.prototype.remove = function (questionId) {
  return this.byId.delete(questionId);
};
QuestionStore.prototype.list = function (filter) {
  var items = Array.from(this.byId.values()).filter(filter || function () { return true; });
  var byNewest = function (a, b) { return b.created_at.localeCompare(a.created_at) || b.id - a.id; };
  items.sort(this.sort === "newest" ? byNewest : function (a, b) {
    return b.votes - a.votes || a.created_at.localeCompare(b.created_at) || a.id - b.id;
  });
  return items;
};
QuestionStore.prototype.pinned = function () {
  return Array.from(this.byId.values()).find(function (q) { return q.pinned; }) || null;
};

function ChatStore() { this.byId = new Map(); }
ChatStore.prototype.reset = function (state) {
  var self = this;
  this.byId.clear();
  (state.chat || []).forEach(function (m) { self.byId.set(m.id, m); });
};
ChatStore.prototype.add = function (message) {
  if (message.session_id !== Live.sessionId) { return false; }
  this.byId.set(message.id, message);
  return true;
};
ChatStore.prototype.list = function () {
  return Array.from(this.byId.values()).sort(function (a, b) { return a.id - b.id; });
};

function authorLabel(question) {
  if (question.author) {
    return question.anonymous ? t("%(name)s (anonymous to others)", { name: question.author.name }) : question.author.name;
  }
  return question.anonymous ? t("Anonymous") : "";
}

/* A question's body: text, author, status badges. Buttons are added by the page. */
function questionItem(question) {
  var li = el("li", { className: "qa-item qa-" + question.status, "data-question-id": question.id });
  var votes = el("span", { className: "qa-votes", title: nt("%(num)s vote", "%(num)s votes", question.votes) }, question.votes);
  var main = el("div", { className: "qa-main" });
  main.appendChild(el("p", { className: "qa-text", dir: "auto" }, question.text));
  var meta = el("p", { className: "qa-meta muted" });
  meta.appendChild(el("span", { className: "qa-author" }, authorLabel(question)));
  meta.appendChild(el("span", {}, " · " + hoursMinutes(question.created_at)));
  if (question.edited) { meta.appendChild(el("span", {}, " · " + t("edited"))); }
  if (question.status === "pending") { meta.appendChild(el("span", { className: "badge qa-waiting" }, t("waiting for moderation"))); }
  if (question.status === "answered") { meta.appendChild(el("span", { className: "badge qa-answered" }, t("answered"))); }
  if (question.pinned) { meta.appendChild(el("span", { className: "badge qa-onair" }, t("on air"))); }
  main.appendChild(meta);
  var actions = el("div", { className: "qa-actions" });
  li.appendChild(votes);
  li.appendChild(main);
  li.appendChild(actions);
  return { item: li, actions: actions };
}

function chatItem(message) {
  var li = el("li", { className: "chat-item", "data-message-id": message.id });
  li.appendChild(el("span", { className: "chat-author" }, message.author.name));
  li.appendChild(el("span", { className: "chat-time muted" }, " " + hoursMinutes(message.created_at) + " "));
  li.appendChild(el("span", { className: "chat-text", dir: "auto" }, message.text));
  return li;
}

/* An ack's error in the box with this id (emptied and hidden on success). */
function showError(id, ack) {
  showAckError(document.getElementById(id), ack, t("Something went wrong."));
}

/* Sort buttons: [data-sort] toggles, calling render() after. */
function bindSort(store, render) {
  document.querySelectorAll("[data-sort]").forEach(function (button) {
    button.addEventListener("click", function () {
      store.sort = button.dataset.sort;
      document.querySelectorAll("[data-sort]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      render();
    });
  });
}

/* Chat form and list, the same on the live and moderate pages. */
function bindChat(chat, render) {
  var form = document.getElementById("chat-form");
  if (!form) { return; }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("chat-text");
    var text = input.value.trim();
    if (!text) { return; }
    Live.emit("chat:send", { session_id: Live.sessionId, text: text }).then(function (ack) {
      showError("chat-error", ack);
      if (ack.ok) {
        input.value = "";
        chat.add(ack.message);
        render();
      }
    });
  });
  Live.on("chat:message", function (data) {
    var known = chat.byId.has(data.message.id);
    if (!chat.add(data.message)) { return; }
    render();
    if (!known && !(data.message.author && data.message.author.id === Live.me.id)) {
      announcer().count("chat", function (n) { return nt("%(num)s new chat message", "%(num)s new chat messages", n); });
    }
  });
  Live.on("chat:deleted", function (data) {
    if (data.session_id === Live.sessionId && chat.byId.delete(data.message_id)) { render(); }
  });
}

function scrollToEnd(list) {
  list.scrollTop = list.scrollHeight;
}

/* The question on air in its box (hidden when there is none). */
function renderPinned(box, pinned) {
  box.hidden = !pinned;
  var slot = box.querySelector("[data-pinned-slot]");
  slot.textContent = "";
  if (pinned) { slot.appendChild(el("p", { className: "qa-text", dir: "auto" }, pinned.text)); }
}

/* The question broadcasts, the same on every live page: each one that changes the store redraws
 * once. `questions:new` and `questions:updated` carry a room's batch ({session_id, questions: [...]},
 * in order); `question:new` and `question:updated` carry one question. A question may come twice
 * (in the join state and in a batch sent after, or one's own with its ack): upserted by id, it is
 * stored and announced once. A new question's count is the one of the moment it became public: a
 * count the page holds already (from the join state, or a total from another server process) is
 * never older, so it stays. */
function bindQuestions(store, render) {
  function added(questions) {
    var changed = false;
    questions.forEach(function (question) {
      var existing = store.byId.get(question.id);  // one's own question came with the ack already
      var known = !!existing;
      if (known) { question = Object.assign({}, question, { votes: existing.votes }); }
      if (!store.upsert(question)) { return; }
      changed = true;
      if (known) { return; }
      // Said through the page's one live region, summed over a burst (announcer.js), never item by item.
      if (question.status === "pending") {
        announcer().count("pending", function (n) {
          return nt("%(num)s question waiting for moderation", "%(num)s questions waiting for moderation", n);
        });
      } else {
        announcer().count("questions", function (n) { return nt("%(num)s new question", "%(num)s new questions", n); });
      }
    });
    if (changed) { render(); }
  }
  function updated(questions) {
    var changed = false;
    questions.forEach(function (question) { changed = store.upsert(question) || changed; });
    if (changed) { render(); }
  }
  Live.on("question:new", function (data) { added([data.question]); });
  Live.on("questions:new", function (data) { added(data.questions || []); });
  Live.on("question:updated", function (data) { updated([data.question]); });
  Live.on("questions:updated", function (data) { updated(data.questions || []); });
  Live.on("question:removed", function (data) {
    if (data.session_id === Live.sessionId && store.remove(data.question_id)) { render(); }
  });
}

export {
  QuestionStore, ChatStore, questionItem, chatItem, showError, bindSort, bindChat, bindQuestions,
  renderPinned, authorLabel, scrollToEnd
};
