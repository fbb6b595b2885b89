/* The moderator console: the queue, the live list, on-air, who is online, moderation switch, closing. */
import { el, replaceChildren, smallButton } from "./dom.js";
import * as R from "./rooms-store.js";
import Live from "./live.js";
import { t } from "./i18n.js";

var questions = new R.QuestionStore();
var chat = new R.ChatStore();

var pendingList = document.getElementById("pending-list");
var pendingCount = document.getElementById("pending-count");
var liveList = document.getElementById("qa-list");
var pinnedBox = document.getElementById("qa-pinned");
var chatList = document.getElementById("chat-list");
var peopleList = document.getElementById("people-list");
var moderationSwitch = document.getElementById("moderation-switch");
var closeButton = document.getElementById("close-room");
var reopenButton = document.getElementById("reopen-room");

function act(question, action, text) {
  var payload = { question_id: question.id, action: action };
  if (text !== undefined) { payload.text = text; }
  return Live.emit("question:moderate", payload).then(function (ack) {
    R.showError("mod-error", ack);
    if (ack.ok && ack.question) { questions.upsert(ack.question); }
    if (ack.ok && action === "dismiss") { questions.remove(question.id); }
    render();
    return ack;
  });
}

function editButton(question) {
  return smallButton(t("Edit"), "secondary", function () {
    var text = window.prompt(t("Correct the question's text:"), question.text);
    if (text !== null && text.trim() && text.trim() !== question.text) { act(question, "edit", text.trim()); }
  });
}

function pendingItem(q) {
  var parts = R.questionItem(q);
  parts.actions.appendChild(smallButton(t("Approve"), "qa-approve", function () { act(q, "approve"); }));
  parts.actions.appendChild(editButton(q));
  parts.actions.appendChild(smallButton(t("Dismiss"), "danger", function () { act(q, "dismiss"); }));
  return parts.item;
}

function liveItem(q) {
  var parts = R.questionItem(q);
  if (q.pinned) {
    parts.actions.appendChild(smallButton(t("Off air"), "secondary", function () { act(q, "unpin"); }));
  } else {
    parts.actions.appendChild(smallButton(t("On air"), "qa-pin", function () { act(q, "pin"); }));
  }
  if (q.status === "approved") {
    parts.actions.appendChild(smallButton(t("Answered"), "secondary", function () { act(q, "answer"); }));
  }
  parts.actions.appendChild(editButton(q));
  parts.actions.appendChild(smallButton(t("Dismiss"), "danger", function () { act(q, "dismiss"); }));
  return parts.item;
}

function render() {
  var pending = questions.list(function (q) { return q.status === "pending"; });
  var visible = questions.list(function (q) { return q.status === "approved" || q.status === "answered"; });
  replaceChildren(pendingList, pending.map(pendingItem));
  pendingCount.textContent = String(pending.length);
  replaceChildren(liveList, visible.map(liveItem));
  R.renderPinned(pinnedBox, questions.pinned());
}

function renderChat() {
  replaceChildren(chatList, chat.list().map(function (m) {
    var li = R.chatItem(m);
    li.appendChild(smallButton(t("Delete"), "danger chat-delete", function () {
      Live.emit("chat:delete", { message_id: m.id }).then(function (ack) {
        R.showError("chat-error", ack);
        if (ack.ok) { chat.byId.delete(m.id); renderChat(); }
      });
    }));
    return li;
  }));
  R.scrollToEnd(chatList);
}

function applyRoom(room) {
  moderationSwitch.checked = !!room.moderated;
  closeButton.hidden = !!room.closed;
  reopenButton.hidden = !room.closed;
}

var whoTimer = null;
function refreshPeople() {
  clearTimeout(whoTimer);
  whoTimer = setTimeout(function () {
    Live.emit("room:who", { session_id: Live.sessionId }).then(function (ack) {
      if (!ack.ok) { return; }
      replaceChildren(peopleList, ack.people.map(function (p) {
        return el("li", {}, p.name + (p.country ? " (" + p.country + ")" : ""));
      }));
    });
  }, 300);
}

Live.onState(function (state) {
  questions.reset(state);
  chat.reset(state);
  applyRoom(state.session);
  render();
  renderChat();
  refreshPeople();
});

R.bindQuestions(questions, render);
Live.on("room:updated", function (room) { if (room.session_id === Live.sessionId) { applyRoom(room); } });
Live.on("presence", function (p) { if (p.session_id === Live.sessionId) { refreshPeople(); } });

moderationSwitch.addEventListener("change", function () {
  Live.emit("room:settings", { session_id: Live.sessionId, moderated: moderationSwitch.checked }).then(function (ack) {
    R.showError("mod-error", ack);
    if (ack.ok) { applyRoom(ack.room); } else { moderationSwitch.checked = !moderationSwitch.checked; }
  });
});
closeButton.addEventListener("click", function () {
  if (!window.confirm(t("Close the room? Questions, votes and chat stop; people can still read."))) { return; }
  Live.emit("room:close", { session_id: Live.sessionId }).then(function (ack) {
    R.showError("mod-error", ack);
    if (ack.ok) { applyRoom(ack.room); }
  });
});
reopenButton.addEventListener("click", function () {
  Live.emit("room:reopen", { session_id: Live.sessionId }).then(function (ack) {
    R.showError("mod-error", ack);
    if (ack.ok) { applyRoom(ack.room); }
  });
});

R.bindSort(questions, render);
R.bindChat(chat, renderChat);
