// The coordinators' page: load a problem, run it as a job with live progress, read the
// plan, pin and forbid, replan, export. A thin client of the /v1 API (see api.js).

import { api, download, errorDetail, getKey, setKey, streamEvents } from './api.js';
import {
  escapeHtml as h, fmtNumber, fmtSeconds, lang, LANGS, savedLang, setLang, t,
} from './i18n.js';
import { PlanMap } from './map.js';
import { indexPlan, indexProblem } from './model.js';
import { needPopup, venuePopup, volunteerPopup } from './popups.js';
import {
  changesHtml, fundsHtml, schedulesHtml, summaryHtml, unmetHtml,
} from './results.js';

const $ = (sel) => document.querySelector(sel);
const UNMET_PAGE = 50;
const STAGES = {
  fairness: 'stage.fairness', coverage: 'stage.coverage', changes: 'stage.changes',
  stability: 'stage.changes', fill: 'stage.fill', travel: 'stage.travel', greedy: 'stage.greedy',
  finished: 'stage.finished',
};
const STATES = {
  queued: 'state.queued', running: 'state.running', done: 'state.done', stopped: 'state.stopped',
  interrupted: 'state.interrupted', failed: 'state.failed',
};

const state = {
  config: null, prob: null, jobId: null, job: null, planIdx: null, diff: null,
  pending: [], selected: null, recs: null, tab: 'summary', unmetShown: UNMET_PAGE,
  stream: null, ticker: null, startedAt: 0, replanning: false, report: null, progress: null,
  jobState: null, timings: {},
};
let map;

function toast(message, isError = false) {
  const el = $('#toast');
  el.textContent = message;
  el.className = isError ? 'error' : '';
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, isError ? 8000 : 3500);
}

// --- loading a problem ----------------------------------------------------------------------

function reportErrors(errors) {
  const rows = errors.slice(0, 200).map((e) => (e.path !== undefined
    ? `<tr><td colspan="3">${h(e.path)}</td><td>${h(e.message)}</td></tr>`
    : `<tr><td>${h(e.sheet ?? '')}</td><td>${h(e.row ?? '')}</td><td>${h(e.column ?? '')}</td>`
      + `<td>${h(e.message)}</td></tr>`)).join('');
  return `<p class="bad">${h(t('load.errors', { n: errors.length }))}</p>
    <table id="import-errors"><tr><th>${h(t('load.sheet'))}</th><th>${h(t('load.row'))}</th>
    <th>${h(t('load.column'))}</th><th>${h(t('load.message'))}</th></tr>${rows}</table>`;
}

function renderReport() {
  const r = state.report;
  const out = $('#import-report');
  if (!r) out.innerHTML = '';
  else if (r.errors) out.innerHTML = reportErrors(r.errors);
  else if (r.failed) out.innerHTML = `<p class="bad">${h(r.failed)}</p>`;
  else out.innerHTML = `<p class="${r.busy ? 'muted' : 'ok'}" id="${r.busy ? 'import-busy' : 'import-ok'}">${
    h(t(r.key, r.params))}</p>`;
}

async function checkFile() {
  const file = $('#file').files[0];
  if (!file) { toast(t('load.no_file'), true); return; }
  state.report = { busy: true, key: 'load.checking', params: { name: file.name } };
  renderReport();
  const form = new FormData();
  form.append('file', file, file.name);
  try {
    const res = await api('POST', '/v1/import', { form });
    const doc = res.problem;
    loadProblem(doc);
    state.report = { key: 'load.ok', params: {
      name: file.name, needs: fmtNumber(doc.needs.length), volunteers: fmtNumber(doc.volunteers.length),
      venues: fmtNumber((doc.venues || []).length), funds: fmtNumber((doc.funds || []).length),
    } };
  } catch (err) {
    if (Array.isArray(err.body?.errors)) {
      state.report = { errors: err.body.errors };
    } else {
      state.report = { failed: errorDetail(err) };
    }
  }
  renderReport();
}

function loadProblem(doc) {
  state.prob = indexProblem(doc);
  state.jobId = null;
  state.planIdx = null;
  state.diff = null;
  state.pending = [];
  state.selected = null;
  state.recs = null;
  $('#problem-name').textContent = doc.name || '';
  $('#results-panel').hidden = true;
  $('#run').disabled = false;
  const t0 = performance.now();
  map.showProblem(state.prob);
  map.fit();
  state.timings.drawProblem = performance.now() - t0;
}

// --- running a job --------------------------------------------------------------------------

function showProgress(p, jobState) {
  if (p) state.progress = { ...state.progress, ...p };
  if (jobState) state.jobState = jobState;
  if (jobState) $('#p-state').textContent = STATES[jobState] ? t(STATES[jobState]) : jobState;
  if (!p) return;
  if (p.stage) $('#p-stage').textContent = STAGES[p.stage] ? t(STAGES[p.stage]) : p.stage;
  if (p.coverage !== null && p.coverage !== undefined) $('#p-coverage').textContent = fmtNumber(p.coverage);
  if (p.bound !== null && p.bound !== undefined) $('#p-bound').textContent = fmtNumber(p.bound);
  if (p.gap !== null && p.gap !== undefined) $('#p-gap').textContent = `${fmtNumber(100 * p.gap, 2)}%`;
  if (p.elapsed !== null && p.elapsed !== undefined) state.solverElapsed = p.elapsed;
}

function tick() {
  const limit = state.job?.time_limit || 0;
  const elapsed = (performance.now() - state.startedAt) / 1000;
  $('#p-elapsed').textContent = fmtSeconds(elapsed);
  $('#p-left').textContent = fmtSeconds(Math.max(0, limit - elapsed));
  $('#progress-bar').value = limit ? Math.min(1, elapsed / limit) : 0;
}

function setRunning(running) {
  $('#run').disabled = running || !state.prob;
  $('#stop').disabled = !running;
  $('#check-file').disabled = running;
  clearInterval(state.ticker);
  if (running) {
    state.startedAt = performance.now();
    state.ticker = setInterval(tick, 250);
    tick();
  }
}

async function run() {
  const timeLimit = Number($('#time-limit').value) || state.config.default_time_limit;
  try {
    state.job = await api('POST', '/v1/jobs', { json: { problem: state.prob.doc, time_limit: timeLimit } });
  } catch (err) {
    toast(errorDetail(err), true);
    return;
  }
  state.jobId = state.job.id;
  for (const id of ['#p-stage', '#p-coverage', '#p-bound', '#p-gap']) $(id).textContent = '-';
  state.progress = null;
  showProgress(null, state.job.state);
  setRunning(true);
  follow(state.job.id);
}

async function follow(jobId) {
  const abort = new AbortController();
  state.stream = abort;
  let ended = false;
  try {
    await streamEvents(`/v1/jobs/${jobId}/events`, (name, data) => {
      if (name === 'improvement' || name === 'heartbeat' || name === 'progress') {
        showProgress(data, 'running');
      } else if (name === 'end' || name === 'timeout') {
        ended = true;
        state.job = data.id ? data : state.job;
        showProgress(data.progress, data.state);
      }
    }, abort.signal);
  } catch (err) {
    if (abort.signal.aborted) return;
    toast(errorDetail(err), true);
  }
  if (state.jobId !== jobId) return;
  setRunning(false);
  if (!ended) state.job = await api('GET', `/v1/jobs/${jobId}`);
  showProgress(state.job.progress, state.job.state);
  state.finalElapsed = (performance.now() - state.startedAt) / 1000;
  $('#p-left').textContent = fmtSeconds(0);
  $('#progress-bar').value = 1;
  if (state.job.has_plan) await loadPlan(jobId);
  else toast(t('run.no_plan', { error: state.job.error || state.job.state }), true);
}

async function stop() {
  $('#stop').disabled = true;
  $('#p-state').textContent = t('run.stopping');
  try {
    const job = await api('DELETE', `/v1/jobs/${state.jobId}`);
    showProgress(job.progress, job.state);
  } catch (err) {
    toast(errorDetail(err), true);
    $('#stop').disabled = false;
  }
}

async function loadPlan(jobId) {
  const plan = await api('GET', `/v1/jobs/${jobId}/plan`);
  setPlan(plan, null);
}

function setPlan(plan, diff) {
  state.planIdx = indexPlan(plan);
  state.diff = diff;
  state.recs = null;
  state.unmetShown = UNMET_PAGE;
  const t0 = performance.now();
  map.closePopup();  // it describes the plan being replaced
  map.showPlan(state.prob, state.planIdx);
  map.showChanges(state.prob, diff);
  if (state.selected) map.select(state.selected);
  $('#results-panel').hidden = false;
  renderResults();
  state.timings.drawPlan = performance.now() - t0;
}

// --- results --------------------------------------------------------------------------------

function renderResults() {
  if (!state.planIdx) return;
  for (const btn of document.querySelectorAll('.tabs [data-tab]')) {
    btn.setAttribute('aria-selected', String(btn.dataset.tab === state.tab));
  }
  for (const tab of ['summary', 'unmet', 'schedules', 'funds', 'changes']) {
    $(`#tab-${tab}`).hidden = tab !== state.tab;
  }
  const render = {
    summary: () => { $('#tab-summary').innerHTML = summaryHtml(state); },
    unmet: () => { $('#tab-unmet').innerHTML = unmetHtml(state); },
    schedules: () => { $('#schedule-list').innerHTML = schedulesHtml(state, $('#schedule-filter').value); },
    funds: () => { $('#tab-funds').innerHTML = fundsHtml(state); },
    changes: () => { $('#tab-changes').innerHTML = changesHtml(state); },
  };
  render[state.tab]();
  const replan = $('#tab-changes [data-act=replan]');
  if (replan) replan.disabled = !state.pending.length || state.replanning;
}

function showTab(tab) {
  state.tab = tab;
  renderResults();
}

async function recommend(needId) {
  state.recs = { need: needId, loading: true };
  state.selected = needId;
  map.select(needId);
  showTab('unmet');
  $('#recommendations')?.scrollIntoView({ block: 'nearest' });
  try {
    const data = await api('POST', '/v1/recommend', { json: { job: state.jobId, need: needId, k: 3 } });
    state.recs = { need: needId, data };
  } catch (err) {
    state.recs = { need: needId, error: errorDetail(err) };
  }
  if (state.tab === 'unmet') $('#tab-unmet').innerHTML = unmetHtml(state);
  else renderResults();
  $('#recommendations')?.scrollIntoView({ block: 'nearest' });
}

function option(needId, rank) {
  const rec = state.recs;
  if (!rec || rec.need !== needId || !rec.data) return null;
  return rec.data.options.find((o) => String(o.rank) === String(rank)) || null;
}

// --- pins, forbids, replan ------------------------------------------------------------------

function addChange(change) {
  const same = (a, b) => a.kind === b.kind && a.need === b.need && a.volunteer === b.volunteer
    && a.venue === b.venue && a.fund === b.fund;
  if (state.pending.some((c) => same(c, change))) return;
  state.pending.push(change);
  toast(t('change.added', { n: state.pending.length }));
  if (state.tab === 'changes') renderResults();
}

function changeFrom(kind, data) {
  const c = { kind, need: data.need };
  if (data.volunteer) c.volunteer = data.volunteer;
  else if (data.venue) c.venue = data.venue;
  else if (data.fund) {
    c.fund = data.fund;
    if (kind === 'pin') c.amount = Number(data.amount);
  }
  return c;
}

function pinOption(needId, rank) {
  const o = option(needId, rank);
  if (!o) return;
  for (const v of o.volunteers || []) addChange({ kind: 'pin', need: needId, volunteer: v.volunteer });
  if (o.venue) addChange({ kind: 'pin', need: needId, venue: o.venue.venue });
  for (const g of o.grants || []) addChange({ kind: 'pin', need: needId, fund: g.fund, amount: g.amount });
  showTab('changes');
}

/** A pending pin or forbid as a replan change: {op: 'add_pin', pin: {...}} (SPEC's pin) or
 *  {op: 'add_forbid', forbid: {...}}. */
function apiChange(c) {
  const entry = { need: c.need };
  for (const key of ['volunteer', 'venue', 'fund']) if (c[key] !== undefined) entry[key] = c[key];
  if (c.kind === 'pin') {
    if (c.fund !== undefined) entry.amount = c.amount;
    return { op: 'add_pin', pin: entry };
  }
  return { op: 'add_forbid', forbid: entry };
}

async function replan() {
  if (!state.pending.length || state.replanning) return;
  state.replanning = true;
  renderResults();
  try {
    const res = await api('POST', `/v1/jobs/${state.jobId}/replan`, {
      json: { changes: state.pending.map(apiChange) },
    });
    const doc = structuredClone(state.prob.doc);
    for (const c of state.pending) {
      const { kind, ...entry } = c;
      if (kind === 'forbid') delete entry.amount;
      (doc[kind === 'pin' ? 'pins' : 'forbid'] ||= []).push(entry);
    }
    state.prob = indexProblem(doc);
    state.pending = [];
    state.job = res.job;
    state.jobId = res.job.id;
    showProgress(res.job.progress, res.job.state);
    state.replanning = false;
    state.tab = 'changes';
    setPlan(res.plan, res.changes);
  } catch (err) {
    state.replanning = false;
    renderResults();
    toast(errorDetail(err), true);
  }
}

// --- map clicks and buttons -----------------------------------------------------------------

function pick(kind, id, latlng) {
  if (kind === 'need') {
    state.selected = id;
    map.select(id);
    map.openPopup(latlng, needPopup(state, id));
  } else if (kind === 'volunteer') {
    map.openPopup(latlng, volunteerPopup(state, id));
  } else {
    map.openPopup(latlng, venuePopup(state, id));
  }
}

const ACTIONS = {
  download: async (d) => download(d.path, d.name),
  export: async (d) => download(`/v1/jobs/${state.jobId}/export?format=${d.format}`,
    `${state.prob.doc.name || 'plan'}-${state.jobId}.${d.format === 'xlsx' ? 'xlsx' : 'zip'}`),
  recommend: (d) => { map.closePopup(); return recommend(d.need); },
  focus: (d) => { state.selected = d.need; map.select(d.need, true); pick('need', d.need, map.latlngOf('need', d.need)); },
  pin: (d) => addChange(changeFrom('pin', d)),
  forbid: (d) => addChange(changeFrom('forbid', d)),
  'pin-option': (d) => pinOption(d.need, d.rank),
  'preview-option': (d) => { map.preview(state.prob, d.need, option(d.need, d.rank)); map.select(d.need, true); },
  unpend: (d) => { state.pending.splice(Number(d.index), 1); renderResults(); },
  replan: () => replan(),
  'more-unmet': () => { state.unmetShown += UNMET_PAGE; renderResults(); },
};

async function onClick(e) {
  const el = e.target.closest('[data-act]');
  if (!el || el.disabled) return;
  const action = ACTIONS[el.dataset.act];
  if (!action) return;
  e.preventDefault();
  try {
    await action({ ...el.dataset });
  } catch (err) {
    toast(errorDetail(err), true);
  }
}

async function switchLang() {
  const next = LANGS[(LANGS.indexOf(lang()) + 1) % LANGS.length];
  await setLang(next);
  map.relabel();
  renderReport();
  if (state.progress || state.jobState) showProgress(state.progress, state.jobState);
  if (state.finalElapsed !== undefined && $('#stop').disabled) {
    $('#p-elapsed').textContent = fmtSeconds(state.finalElapsed);
    $('#p-left').textContent = fmtSeconds(0);
  }
  if (state.prob) map.showPlan(state.prob, state.planIdx);
  if (state.diff) map.showChanges(state.prob, state.diff);
  renderResults();
}

async function boot() {
  const config = fetch('/web/config.json').then((res) => res.json());
  await setLang(savedLang());
  state.config = await config;
  $('#time-limit').value = state.config.default_time_limit;
  $('#time-limit').max = state.config.max_time_limit;
  map = new PlanMap($('#map'), state.config, pick);
  const key = $('#api-key');
  key.value = getKey();
  key.addEventListener('change', () => setKey(key.value));
  document.addEventListener('click', onClick, true);
  $('#lang-switch').addEventListener('click', switchLang);
  $('#check-file').addEventListener('click', checkFile);
  $('#run').addEventListener('click', run);
  $('#stop').addEventListener('click', stop);
  for (const btn of document.querySelectorAll('.tabs [data-tab]')) {
    btn.addEventListener('click', () => showTab(btn.dataset.tab));
  }
  $('#schedule-filter').addEventListener('input', () => renderResults());
  // The page's state for scripts and tests (read it, do not write it).
  window.matcherPage = {
    state, stats: () => map.stats(), fit: () => map.fit(), leaflet: map.map,
    readyAt: performance.now(),
  };
  document.body.dataset.ready = 'true';
}

boot().catch((err) => toast(String(err), true));
