// The page's only way to the server: the same /v1 endpoints any client calls, with the
// organisation's API key in X-API-Key.

const KEY_STORAGE = 'matcher.apiKey';
let apiKey = sessionStorage.getItem(KEY_STORAGE) || '';

export function getKey() {
  return apiKey;
}

/** Keep the key for this browser tab only (sessionStorage), not on disk for good. */
export function setKey(key) {
  apiKey = key.trim();
  sessionStorage.setItem(KEY_STORAGE, apiKey);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function readBody(res) {
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}

/** One JSON (or multipart) request; resolves to the decoded body, throws ApiError. */
export async function api(method, path, { json, form, signal } = {}) {
  const headers = { 'X-API-Key': apiKey, Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const res = await fetch(path, { method, headers, body, signal });
  const data = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** The server's words for an error: its `detail` (a string or a list with JSON paths). */
export function errorDetail(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const detail = err.body && typeof err.body === 'object' ? err.body.detail : err.body;
  if (Array.isArray(detail)) {
    const shown = detail.slice(0, 3).map((d) => (d.path ? `${d.path}: ${d.msg}` : d.msg));
    if (detail.length > 3) shown.push(`(+${detail.length - 3})`);
    return shown.join('; ');
  }
  return `${err.status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
}

function filenameOf(disposition) {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : null;
}

/** Fetch a file with the key and hand it to the browser as a download. */
export async function download(path, fallbackName) {
  const res = await fetch(path, { headers: { 'X-API-Key': apiKey } });
  if (!res.ok) throw new ApiError(res.status, await readBody(res));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filenameOf(res.headers.get('content-disposition')) || fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return a.download;
}

/** Read a server-sent event stream (fetch, because EventSource cannot send X-API-Key);
 *  calls onEvent(name, data) per event until the stream ends or `signal` aborts. */
export async function streamEvents(path, onEvent, signal) {
  const res = await fetch(path, {
    headers: { 'X-API-Key': apiKey, Accept: 'text/event-stream' }, signal,
  });
  if (!res.ok) throw new ApiError(res.status, await readBody(res));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'event') name = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}
