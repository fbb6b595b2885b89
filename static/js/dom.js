/* Small DOM helpers shared by every page's module.
 *
 * User text only ever enters the page through textContent: `el` and `setText` are the way in, and
 * nothing here assigns HTML.
 */
import { errorText } from "./i18n.js";

/* A new element. `attrs`: className, data-* and aria-* (set as attributes), anything else as a
 * property (type, disabled, href, title, ...). `text`, when given, becomes its text content. */
export function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((name) => {
    if (name === "className") { node.className = attrs[name]; }
    else if (name.startsWith("data-") || name.startsWith("aria-")) { node.setAttribute(name, attrs[name]); }
    else { node[name] = attrs[name]; }
  });
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  return node;
}

/* A small action button ("button small" plus `className`) that calls `onClick`. */
export function smallButton(label, className, onClick) {
  const button = el("button", { type: "button", className: "button small " + (className || "") }, label);
  button.addEventListener("click", onClick);
  return button;
}

/* Sets a node's text; null and undefined read as empty. A missing node is ignored. */
export function setText(node, value) {
  var text = value === null || value === undefined ? "" : String(value);
  // The same text is left alone: a replaced text node makes a live region speak again.
  if (node && node.textContent !== text) { node.textContent = text; }
}

/* Shows or hides a node (the `hidden` attribute). A missing node is ignored. */
export function show(node, visible) {
  if (node) { node.hidden = !visible; }
}

/* Removes every child of `parent`, then appends `children` in order. A missing parent is ignored. */
export function replaceChildren(parent, children) {
  if (parent) { parent.replaceChildren(...(children || [])); }
}

/* An acknowledgement's error in its box, in the page's language (i18n.js errorText: by its code, else
 * the server's message, else `fallback`) when the ack failed; the box emptied and hidden when it succeeded. */
export function showAckError(box, ack, fallback) {
  if (!box) { return; }
  if (ack && !ack.ok) {
    box.textContent = errorText(ack.error, fallback);
    box.hidden = false;
  } else {
    box.textContent = "";
    box.hidden = true;
  }
}

/* --- times ------------------------------------------------------------------------------------ */

/* An instant's time of day in the viewer's zone and locale, seconds included ("14:05:09"). */
export function timeOfDay(instant) {
  return new Date(instant).toLocaleTimeString();
}

/* An ISO instant as hours and minutes in the viewer's zone ("14:05"); "" when it cannot be read. */
export function hoursMinutes(iso) {
  try {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  } catch (e) { return ""; }
}

/* A countdown's "m:ss" for a whole number of seconds (negative reads as 0:00). */
export function minutesSeconds(seconds) {
  const s = Math.max(0, seconds);
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}
