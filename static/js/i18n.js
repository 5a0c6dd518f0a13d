// The page's message catalogue (embedded by the server) and locale-aware formatting via Intl.
const data = JSON.parse(document.getElementById("tb-i18n")?.textContent || '{"lang":"en","messages":{}}');

export const lang = data.lang;
const messages = data.messages;
const intlLocale = { ko: "ko-KR", en: "en-GB", ru: "ru-RU", vi: "vi-VN", id: "id-ID" }[lang] || lang;

const plurals = new Intl.PluralRules(intlLocale);

/** The message `key`, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  // A count picks the language's plural form when the catalogue has one ("x.one").
  if (Number.isInteger(params.count)) {
    const form = `${key}.${plurals.select(Math.abs(params.count))}`;
    if (form in messages) key = form;
  }
  const text = messages[key];
  if (text === undefined) {
    console.warn("no message", key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** The viewer's own time zone (the browser's). */
export const viewerTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatDateTime(value, options = {}) {
  return new Intl.DateTimeFormat(intlLocale, {
    dateStyle: "full", timeStyle: "short", ...options,
  }).format(new Date(value));
}

export function formatTime(value, options = {}) {
  return new Intl.DateTimeFormat(intlLocale, { timeStyle: "short", ...options }).format(new Date(value));
}

export function formatMoney(amount, currency) {
  const number = Number(amount);
  if (!Number.isFinite(number)) return "";
  try {
    return new Intl.NumberFormat(intlLocale, { style: "currency", currency }).format(number);
  } catch {
    return `${number} ${currency}`;
  }
}

export function countryName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([intlLocale], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

export function languageName(code) {
  try {
    return new Intl.DisplayNames([intlLocale], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

/** "in 5 minutes" / "5 minutes ago" in the page language. */
export function formatRelative(seconds) {
  const rtf = new Intl.RelativeTimeFormat(intlLocale, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(Math.round(seconds), "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

/** mm:ss (or h:mm:ss) for a count-down. */
export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** The viewer's time zone as people say it, e.g. "Korean Standard Time", "WIB". */
export function timeZoneLabel(at = Date.now()) {
  const parts = new Intl.DateTimeFormat(intlLocale, { timeZoneName: "long" }).formatToParts(new Date(at));
  return parts.find((part) => part.type === "timeZoneName")?.value || viewerTimeZone;
}
