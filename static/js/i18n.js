// The page's strings in its language. The server renders, from the same gettext catalogue as the
// pages, the translation of every string this JavaScript marks with t() or nt() (see
// conference/i18n/jscatalogue.py); a string missing from it shows in English.
//
//   t("Sort: %(order)s", {order})          → the translated text, %(name)s filled in
//   nt("%(num)s vote", "%(num)s votes", n)  → the form for n's plural category (Intl.PluralRules)
//   errorText(ack.error)                    → a refusal in the page's language, by its code

const element = document.getElementById("i18n-catalogue");
const catalogue = element ? JSON.parse(element.textContent) : { locale: "en", messages: {}, plurals: {}, errors: {} };
const locale = (catalogue.locale || "en").replace("_", "-");
const pluralRules = new Intl.PluralRules(locale);
const numbers = new Intl.NumberFormat(locale);

function fill(text, vars) {
  return text.replace(/%\((\w+)\)[sd]/g, (whole, name) =>
    vars && name in vars ? (typeof vars[name] === "number" ? numbers.format(vars[name]) : String(vars[name])) : whole,
  );
}

export function t(msgid, vars) {
  return fill(catalogue.messages[msgid] ?? msgid, vars);
}

export function nt(singular, plural, n, vars) {
  const forms = catalogue.plurals[singular];
  const text = forms ? (forms[pluralRules.select(n)] ?? forms.other) : n === 1 ? singular : plural;
  return fill(text ?? plural, { num: n, ...vars });
}

// A refusal ({code, message, details?} from a Socket.IO ack or an API answer) as the person reads it:
// the sentence the pages show for its code, in the page's language (the catalogue's `errors`, made
// from conference/i18n/messages.py BY_CODE), with the values it names taken from `error.details`; the
// server's English `message` for a code the catalogue does not know; `fallback` when there is neither.
export function errorText(error, fallback) {
  if (!error) { return fallback || ""; }
  const said = (catalogue.errors || {})[error.code];
  if (typeof said === "string") { return said; }
  if (!said) { return error.message || fallback || error.code || ""; }
  const details = error.details && typeof error.details === "object" ? error.details : {};
  for (const form of said.forms || []) {
    if (!form.needs.every((key) => key in details)) { continue; }
    if (!form.count) { return fill(form.text, details); }
    const n = details[form.count];
    if (!Number.isInteger(n)) { continue; }
    return fill(form.plural[pluralRules.select(n)] ?? form.plural.other, details);
  }
  return said.general;
}

export function formatNumber(n) {
  return numbers.format(n);
}

export const language = locale;

const languageNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames([locale], { type: "language" }) : null;

// A language's name in the page's language ("ar" → "Arabic", "العربية", "arabe"), or the code.
export function languageName(code) {
  try { return (code && languageNames && languageNames.of(code)) || code || ""; } catch (e) { return code || ""; }
}

const baseLanguage = locale.split("-")[0];

// An organiser's text in the page's language: `item.translations[field][language]` when the payload
// carries one (sessions, polls, options, practices), else the original `item[field]`.
export function localized(item, field) {
  const texts = item && item.translations && item.translations[field];
  return (texts && texts[baseLanguage]) || (item ? item[field] : "") || "";
}
