/* The participants' live page: ask, vote, sort, chat. Everything is redrawn from the stores. */
import { el, replaceChildren } from "./dom.js";
import { LIMITS } from "./limits.js";
import * as R from "./rooms-store.js";
import Live from "./live.js";

var questions = new R.QuestionStore();
var chat = new R.ChatStore();
var moderated = false;
var closed = false;

var list = document.getElementById("qa-list");
var empty = document.getElementById("qa-empty");
var pinnedBox = document.getElementById("qa-pinned");
var chatList = document.getElementById("chat-list");

function voteButton(question) {
  var mine = questions.myVotes.has(question.id);
  var button = el("button", {
    type: "button", className: "button small " + (mine ? "" : "secondary") + " qa-vote",
    disabled: closed || question.status === "pending"
  }, mine ? "▲ Voted" : "▲ Vote");
  button.setAttribute("aria-pressed", String(mine));
  button.addEventListener("click", function () {
    var event = questions.myVotes.has(question.id) ? "question:unvote" : "question:vote";
    Live.emit(event, { question_id: question.id }).then(function (ack) {
      R.showError("ask-error", ack);
      if (ack.ok) {
        if (ack.voted) { questions.myVotes.add(question.id); } else { questions.myVotes.delete(question.id); }
        questions.upsert(ack.question);
        renderQuestions();
      }
    });
  });
  return button;
}

function renderQuestions() {
  var items = questions.list(function (q) { return q.status !== "dismissed"; });
  replaceChildren(list, items.map(function (q) {
    var parts = R.questionItem(q);
    if (q.status !== "pending") { parts.actions.appendChild(voteButton(q)); }
    return parts.item;
  }));
  empty.hidden = items.length > 0;
  R.renderPinned(pinnedBox, questions.pinned());
}

function renderChat() {
  replaceChildren(chatList, chat.list().map(R.chatItem));
  R.scrollToEnd(chatList);
}

function applyRoom(room) {
  moderated = !!room.moderated;
  closed = !!room.closed;
  var note = document.querySelector("[data-moderation-note]");
  if (note) { note.hidden = !moderated; }
  document.querySelectorAll("#ask-form textarea, #ask-form button, #ask-form input, #chat-form input, #chat-form button")
    .forEach(function (control) { control.disabled = closed; });
  renderQuestions();
}

Live.onState(function (state) {
  questions.reset(state);
  chat.reset(state);
  applyRoom(state.session);
  renderChat();
});

R.bindQuestions(questions, renderQuestions);
Live.on("room:updated", function (room) { if (room.session_id === Live.sessionId) { applyRoom(room); } });

var text = document.getElementById("ask-text");
var counter = document.querySelector("[data-counter-for=ask-text]");
text.addEventListener("input", function () { counter.textContent = text.value.length + "/" + LIMITS.question_max; });

document.getElementById("ask-form").addEventListener("submit", function (e) {
  e.preventDefault();
  var value = text.value.trim();
  if (!value) { return; }
  var anonymous = document.getElementById("ask-anonymous").checked;
  Live.emit("question:ask", { session_id: Live.sessionId, text: value, anonymous: anonymous }).then(function (ack) {
    R.showError("ask-error", ack);
    if (ack.ok) {
      text.value = "";
      counter.textContent = "0/" + LIMITS.question_max;
      document.getElementById("ask-anonymous").checked = false;  // each question chooses anew (issue #16)
      questions.upsert(ack.question);
      renderQuestions();
    }
  });
});

R.bindSort(questions, renderQuestions);
R.bindChat(chat, renderChat);
