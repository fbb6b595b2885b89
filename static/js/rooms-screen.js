/* The hall's screen: the question on air, large. An anonymous asker's name is never shown here,
 * even when the screen's browser is signed in as a moderator (whose copy carries the name). */
import { announcer } from "./announcer.js";
import * as R from "./rooms-store.js";
import Live from "./live.js";
import { nt, t } from "./i18n.js";

var questions = new R.QuestionStore();
var text = document.querySelector("[data-pinned-text]");
var meta = document.querySelector("[data-pinned-meta]");
var idle = text.textContent;
var onAir = null;

function render() {
  var pinned = questions.pinned();
  if (pinned && pinned.id !== onAir) {
    announcer().say(t("On air: %(question)s", { question: pinned.text }), "on-air");
  }
  onAir = pinned ? pinned.id : null;
  text.textContent = pinned ? pinned.text : idle;
  var who = pinned && !pinned.anonymous && pinned.author ? pinned.author.name : "";
  meta.textContent = pinned ? [who, nt("%(num)s vote", "%(num)s votes", pinned.votes)].filter(Boolean).join(" · ") : "";
  document.body.classList.toggle("screen-has-question", !!pinned);
}

Live.onState(function (state) { questions.reset(state); render(); });
R.bindQuestions(questions, render);
