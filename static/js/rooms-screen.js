/* The hall's screen: the question on air, large. An anonymous asker's name is never shown here,
 * even when the screen's browser is signed in as a moderator (whose copy carries the name). */
(function () {
  "use strict";

  var R = window.Rooms;
  var Live = window.Live;
  var questions = new R.QuestionStore();
  var text = document.querySelector("[data-pinned-text]");
  var meta = document.querySelector("[data-pinned-meta]");
  var idle = text.textContent;

  function render() {
    var pinned = questions.pinned();
    text.textContent = pinned ? pinned.text : idle;
    var who = pinned && !pinned.anonymous && pinned.author ? pinned.author.name : "";
    meta.textContent = pinned ? [who, pinned.votes + " votes"].filter(Boolean).join(" · ") : "";
    document.body.classList.toggle("screen-has-question", !!pinned);
  }

  Live.onState(function (state) { questions.reset(state); render(); });
  Live.on("question:new", function (d) { if (questions.upsert(d.question)) { render(); } });
  Live.on("question:updated", function (d) { if (questions.upsert(d.question)) { render(); } });
  Live.on("question:removed", function (d) {
    if (d.session_id === Live.sessionId && questions.remove(d.question_id)) { render(); }
  });
})();
