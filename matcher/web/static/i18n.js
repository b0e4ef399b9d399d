// Message catalogues: every string a coordinator reads comes from i18n/<lang>.json.
// Elements name their message with data-i18n (text), data-i18n-placeholder or
// data-i18n-title; scripts call t(messageKey, params).

export const LANGS = ['zh-CN', 'en'];
const STORAGE_KEY = 'matcher.lang';
let messages = {};
let current = 'zh-CN';

/** The language chosen last time on this browser, else Simplified Chinese. */
export function savedLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  return LANGS.includes(saved) ? saved : 'zh-CN';
}

/** Load a catalogue and translate the static page. */
export async function setLang(lang) {
  const res = await fetch(`/web/i18n/${lang}.json`);
  if (!res.ok) throw new Error(`catalogue ${lang}: HTTP ${res.status}`);
  messages = await res.json();
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  document.title = t('app.title');
  applyDom(document);
}

export function lang() {
  return current;
}

/** The message for `key` with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = messages[key];
  if (text === undefined) {
    console.warn('missing message', key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

export function applyDom(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return new Intl.NumberFormat(current, {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(n);
}

/** Money in minor units (fen for CNY) as the currency's major unit. */
export function fmtMoney(minor, currency = 'CNY') {
  try {
    return new Intl.NumberFormat(current, { style: 'currency', currency }).format(minor / 100);
  } catch {
    return `${fmtNumber(minor / 100, 2)} ${currency}`;
  }
}

export function fmtKm(metres) {
  return t('unit.km', { km: fmtNumber(metres / 1000, 1) });
}

export function fmtSeconds(s) {
  if (s === null || s === undefined) return '-';
  return t('unit.seconds', { s: fmtNumber(Math.max(0, s), s < 10 ? 1 : 0) });
}

/** "2022-08-06 08:30-17:30" from SPEC times, as written (the need's own UTC offset). */
export function fmtSpan(start, end) {
  const day = start.slice(0, 10);
  const from = start.slice(11, 16);
  const to = end.slice(0, 10) === day ? end.slice(11, 16) : `${end.slice(0, 10)} ${end.slice(11, 16)}`;
  return `${day} ${from}-${to}`;
}

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}
