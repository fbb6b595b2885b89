/* The session's feedback survey on its live page: shown once the session is over (on load when it is,
 * or when the server says `session:ended`) to people who attended it, and sent with fetch.
 * The server decides (status open / answered / not_over / not_attended); the page only asks it.
 * The box carries data-feedback-url (the survey's JSON). User text enters through textContent; the
 * words come from the page's catalogue (i18n.js), a refusal's by its code (errorText; the API's message is English). */
import { el, replaceChildren, setText, show } from "./dom.js";
import { errorText, t } from "./i18n.js";
import Live from "./live.js";

var box = document.getElementById("feedback-box");
var form = document.getElementById("feedback-form");
var note = document.getElementById("feedback-note");
var errorBox = document.getElementById("feedback-error");
var csrf = document.querySelector('meta[name="csrf-token"]');

function ratingField(question) {
  var fieldset = el("fieldset", { className: "rating" });
  var legend = el("legend", {}, question.label);
  legend.setAttribute("dir", "auto");
  fieldset.appendChild(legend);
  for (var value = 1; value <= 5; value += 1) {
    var label = el("label", { className: "choice" });
    label.appendChild(el("input", { type: "radio", name: "q" + question.id, value: String(value), required: true }));
    label.appendChild(document.createTextNode(" " + value));
    fieldset.appendChild(label);
  }
  fieldset.appendChild(el("span", { className: "muted" }, t("1 = poor, 5 = excellent")));
  return fieldset;
}

function draw(state) {
  if (state.status === "answered") {
    setText(note, t("Thank you: your feedback on this session is saved."));
    show(note, true);
    show(form, false);
    show(box, true);
    return;
  }
  if (state.status !== "open") { show(box, false); return; }
  var fields = state.questions.map(ratingField);
  var comment = el("textarea", { id: "feedback-comment", name: "comment", rows: 2, maxLength: state.comment_max });
  comment.setAttribute("dir", "auto");
  fields.push(el("label", { htmlFor: "feedback-comment" }, t("Comment (optional)")), comment);
  fields.push(el("button", { type: "submit", className: "button small" }, t("Send feedback")));
  replaceChildren(form, fields);
  show(note, false);
  show(form, true);
  show(box, true);
}

function load() {
  if (!box) { return; }
  fetch(box.dataset.feedbackUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (state) { if (state) { draw(state); } })
    .catch(function () { /* offline: the survey is also on My registrations */ });
}

if (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var ratings = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
      ratings[input.name.slice(1)] = Number(input.value);
    });
    var comment = form.querySelector("textarea");
    fetch(box.dataset.feedbackUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf ? csrf.content : "" },
      body: JSON.stringify({ ratings: ratings, comment: comment ? comment.value : "" })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) { show(errorBox, false); draw(result.body); return; }
      setText(errorBox, errorText(result.body && result.body.error, t("The feedback could not be sent.")));
      show(errorBox, true);
    }).catch(function () {
      setText(errorBox, t("The feedback could not be sent: check the connection and try again."));
      show(errorBox, true);
    });
  });
}

if (box) {
  load();  // the server says whether the survey is open for this person now
  Live.ready.then(function () {
    Live.on("session:ended", function (info) {
      if (info && info.session_id === Live.sessionId) { load(); }
    });
  });
}
