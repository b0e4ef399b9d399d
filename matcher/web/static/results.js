// The side panel's result tabs as HTML: summary, unmet needs with recommendations, schedules,
// fund use, and pins/forbids with the last replan's changes. Buttons carry data-act; app.js
// handles them.

import {
  escapeHtml as h, fmtKm, fmtMoney, fmtNumber, fmtSeconds, fmtSpan, t,
} from './i18n.js';
import { byStart, fundUse, hoursOf, tallies } from './model.js';

/** A button that app.js dispatches on its data-act. */
export function button(act, label, data = {}, cls = 'small') {
  const attrs = Object.entries(data).map(([k, v]) => ` data-${k}="${h(v)}"`).join('');
  return `<button type="button" class="${cls}" data-act="${act}"${attrs}>${h(label)}</button>`;
}

function needLink(prob, id) {
  const n = prob.needs.get(id);
  const label = n ? `${n.title || id} (${id})` : id;
  return `<button type="button" class="link" data-act="focus" data-need="${h(id)}">${h(label)}</button>`;
}

function statusBadge(status) {
  const keys = { optimal: 'status.optimal', feasible: 'status.feasible', infeasible: 'status.infeasible' };
  return `<span class="badge">${h(keys[status] ? t(keys[status]) : status)}</span>`;
}

export function summaryHtml(state) {
  const { prob, planIdx } = state;
  const plan = planIdx.plan;
  const obj = plan.objective || {};
  const { byPriority, byRegion, share } = tallies(prob, planIdx);
  const volunteers = planIdx.byVolunteer.size;
  const hours = hoursOf(prob, plan.assignments || []);
  const pct = (x) => `${fmtNumber(100 * x, 1)}%`;
  const bound = plan.bound?.coverage;
  const rows = byPriority.map((r) => `<tr><td>P${r.key}</td><td class="num">${fmtNumber(r.met)}</td>`
    + `<td class="num">${fmtNumber(r.unmet)}</td><td class="num">${pct(share(r))}</td></tr>`).join('');
  const regionRow = (r) => `<tr><td>${h(r.key)}</td><td class="num">${fmtNumber(r.met)}</td>`
    + `<td class="num">${fmtNumber(r.unmet)}</td><td class="num">${pct(share(r))}</td></tr>`;
  const head = `<tr><th></th><th class="num">${h(t('summary.met'))}</th>`
    + `<th class="num">${h(t('summary.unmet'))}</th><th class="num">${h(t('summary.share'))}</th></tr>`;
  return `
    <div class="row">${statusBadge(plan.status)}
      <span id="summary-line">${h(t('summary.line', {
        met: fmtNumber(planIdx.met.size), total: fmtNumber(prob.needs.size),
        coverage: fmtNumber(obj.coverage), bound: bound === undefined ? '-' : fmtNumber(bound),
      }))}</span></div>
    <p class="muted">${h(t('summary.resources', {
      volunteers: fmtNumber(volunteers), hours: fmtNumber(hours, 1),
      venues: fmtNumber(planIdx.byVenue.size), travel: fmtKm(obj.travel_m || 0),
      seconds: fmtSeconds(plan.stats?.seconds),
    }))}</p>
    <div class="row"><span>${h(t('export.title'))}</span>
      ${button('export', t('export.xlsx'), { format: 'xlsx' }, '')}
      ${button('export', t('export.csv'), { format: 'csv' }, '')}</div>
    <h3>${h(t('summary.by_priority'))}</h3>
    <table id="by-priority">${head}${rows}</table>
    <h3>${h(t('summary.by_region'))}</h3>
    <table id="by-region">${head}${byRegion.slice(0, 15).map(regionRow).join('')}</table>
    ${byRegion.length > 15 ? `<details><summary>${h(t('summary.all_regions', { n: byRegion.length }))}</summary>
      <table>${byRegion.slice(15).map(regionRow).join('')}</table></details>` : ''}`;
}

function optionHtml(state, needId, o) {
  const prob = state.prob;
  const vols = (o.volunteers || []).map((v) => `<li>${h(t('rec.volunteer', {
    id: v.volunteer, skill: v.skill, km: fmtKm(v.distance_m),
  }))}${v.taken_from ? ` · ${h(t('rec.taken_from'))} ${needLink(prob, v.taken_from)}` : ''}</li>`);
  if (o.venue) {
    const name = prob.venues.get(o.venue.venue)?.name || o.venue.venue;
    vols.push(`<li>${h(t('rec.venue', { name, km: fmtKm(o.venue.distance_m) }))}${
      o.venue.taken_from ? ` · ${h(t('rec.taken_from'))} ${needLink(prob, o.venue.taken_from)}` : ''}</li>`);
  }
  for (const g of o.grants || []) {
    const donor = prob.funds.get(g.fund)?.donor || g.fund;
    vols.push(`<li>${h(t('rec.grant', { donor, amount: fmtMoney(g.amount, prob.currency) }))}</li>`);
  }
  const displaced = (o.displaced || []).length
    ? `${h(t('rec.displaces'))} ${o.displaced.map((id) => needLink(prob, id)).join(', ')}`
    : h(t('rec.displaces_none'));
  return `<div class="option" data-rank="${o.rank}">
    <div><b>${h(t('rec.option', { rank: o.rank }))}</b> ·
      ${h(t('rec.coverage_change', { change: (o.coverage_change > 0 ? '+' : '') + o.coverage_change }))}</div>
    <ul>${vols.join('')}</ul><div class="muted">${displaced}</div>
    <div class="row">${button('preview-option', t('rec.preview'), { need: needId, rank: o.rank })}
      ${button('pin-option', t('rec.pin'), { need: needId, rank: o.rank })}</div></div>`;
}

function reasonText(r) {
  if (typeof r === 'string') return r;
  return r.message || r.reason || JSON.stringify(r);
}

export function recommendationsHtml(state) {
  const rec = state.recs;
  if (!rec) return '';
  const n = state.prob.needs.get(rec.need);
  let body;
  if (rec.loading) body = `<p class="muted">${h(t('rec.loading'))}</p>`;
  else if (rec.error) body = `<p class="bad">${h(rec.error)}</p>`;
  else if (rec.data.options.length) body = rec.data.options.map((o) => optionHtml(state, rec.need, o)).join('');
  else {
    const reasons = rec.data.reasons || rec.data.missing || [];
    body = `<p>${h(t('rec.none'))}</p><ul>${reasons.map((r) => `<li>${h(reasonText(r))}</li>`).join('')}</ul>`;
  }
  return `<div class="options" id="recommendations"><b>${h(t('rec.title', { title: n?.title || rec.need }))}</b>${body}</div>`;
}

export function unmetHtml(state) {
  const { prob, planIdx } = state;
  const unmet = [...planIdx.unmet.entries()].map(([id, reasons]) => ({ n: prob.needs.get(id), reasons }))
    .filter((u) => u.n)
    .sort((a, b) => prob.weight(b.n) - prob.weight(a.n) || (a.n.start < b.n.start ? -1 : 1));
  const shown = unmet.slice(0, state.unmetShown);
  const items = shown.map(({ n, reasons }) => `<div class="need" data-need="${h(n.id)}">
    <div class="title">${needLink(prob, n.id)} <span class="badge unmet">P${n.priority}</span></div>
    <div class="muted">${h(fmtSpan(n.start, n.end))} · ${h(n.region || '-')}</div>
    <ul>${reasons.map((r) => `<li>${h(reasonText(r))}</li>`).join('')}</ul>
    ${button('recommend', t('unmet.recommend'), { need: n.id })}</div>`).join('');
  const more = unmet.length > shown.length
    ? button('more-unmet', t('unmet.more', { n: unmet.length - shown.length }), {}, '') : '';
  return `${recommendationsHtml(state)}
    <p>${h(t('unmet.count', { n: fmtNumber(unmet.length) }))}</p>${items}${more}`;
}

function scheduleTable(prob, rows) {
  return `<table><tr><th>${h(t('schedule.when'))}</th><th>${h(t('schedule.need'))}</th>`
    + `<th>${h(t('schedule.what'))}</th><th class="num">${h(t('schedule.distance'))}</th></tr>${
      rows.map((r) => {
        const n = prob.needs.get(r.need);
        return `<tr><td>${h(n ? fmtSpan(n.start, n.end) : '')}</td><td>${needLink(prob, r.need)}</td>`
          + `<td>${h(r.skill || '')}</td><td class="num">${fmtKm(r.distance_m || 0)}</td></tr>`;
      }).join('')}</table>`;
}

/** Schedules of the volunteers and venues matching `filter` (id, name or skill). */
export function schedulesHtml(state, filter) {
  const { prob, planIdx } = state;
  const q = filter.trim().toLowerCase();
  const match = (...fields) => !q || fields.some((f) => String(f || '').toLowerCase().includes(q));
  const order = byStart(prob);
  const vols = [...prob.volunteers.values()]
    .filter((v) => planIdx.byVolunteer.has(v.id) && match(v.id, v.name, ...(v.skills || [])));
  const venues = [...prob.venues.values()]
    .filter((u) => planIdx.byVenue.has(u.id) && match(u.id, u.name, ...(u.features || [])));
  const limit = 40;
  const volHtml = vols.slice(0, limit).map((v) => {
    const rows = [...planIdx.byVolunteer.get(v.id)].sort(order);
    return `<details data-volunteer="${h(v.id)}"><summary>${h(v.name || v.id)} · ${h(t('schedule.volunteer_sum', {
      n: rows.length, hours: fmtNumber(hoursOf(prob, rows), 1) }))}</summary>${scheduleTable(prob, rows)}</details>`;
  }).join('');
  const venueHtml = venues.slice(0, limit).map((u) => {
    const rows = [...planIdx.byVenue.get(u.id)].sort(order);
    return `<details data-venue="${h(u.id)}"><summary>${h(u.name || u.id)} · ${h(t('schedule.venue_sum', {
      n: rows.length }))}</summary>${scheduleTable(prob, rows)}</details>`;
  }).join('');
  const cut = (n) => (n > limit ? `<p class="muted">${h(t('schedule.cut', { shown: limit, n }))}</p>` : '');
  return `<h3>${h(t('schedule.volunteers', { n: fmtNumber(vols.length) }))}</h3>${volHtml}${cut(vols.length)}
    <h3>${h(t('schedule.venues', { n: fmtNumber(venues.length) }))}</h3>${venueHtml}${cut(venues.length)}`;
}

export function fundsHtml(state) {
  const { prob, planIdx } = state;
  const cur = prob.currency;
  const donors = fundUse(prob, planIdx);
  const rows = donors.map((d) => `<tr><td><details><summary>${h(d.donor)}</summary>${
    d.funds.map((f) => `<div class="muted">${h(f.fund.id)} · ${h((f.fund.categories || []).join(', ') || t('funds.any'))}: `
      + `${h(fmtMoney(f.used, cur))} / ${h(fmtMoney(f.fund.amount, cur))}</div>`).join('')}</details></td>
    <td class="num">${h(fmtMoney(d.amount, cur))}</td><td class="num">${h(fmtMoney(d.used, cur))}</td>
    <td class="num">${h(fmtMoney(d.amount - d.used, cur))}</td><td class="num">${fmtNumber(d.grants)}</td></tr>`).join('');
  return `<table id="fund-use"><tr><th>${h(t('funds.donor'))}</th><th class="num">${h(t('funds.amount'))}</th>
    <th class="num">${h(t('funds.used'))}</th><th class="num">${h(t('funds.left'))}</th>
    <th class="num">${h(t('funds.grants'))}</th></tr>${rows}</table>`;
}

function pendingText(prob, c) {
  const need = prob.needs.get(c.need)?.title || c.need;
  let what;
  if (c.volunteer) what = t('change.volunteer', { id: c.volunteer });
  else if (c.venue) what = t('change.venue', { name: prob.venues.get(c.venue)?.name || c.venue });
  else what = t('change.fund', { donor: prob.funds.get(c.fund)?.donor || c.fund });
  return t(c.kind === 'pin' ? 'change.pin' : 'change.forbid', { what, need });
}

function diffHtml(prob, diff) {
  const list = (key, items, fmt) => (items && items.length
    ? `<h3>${h(t(key, { n: items.length }))}</h3><ul>${items.map(fmt).join('')}</ul>` : '');
  const assignment = (a) => `<li>${needLink(prob, a.need)} · ${h(a.skill)} · ${h(a.volunteer)}</li>`;
  const booking = (b) => `<li>${needLink(prob, b.need)} · ${h(prob.venues.get(b.venue)?.name || b.venue)}</li>`;
  const grant = (g) => `<li>${needLink(prob, g.need)} · ${h(prob.funds.get(g.fund)?.donor || g.fund)} · ${
    h(fmtMoney(g.amount, prob.currency))}</li>`;
  const need = (id) => `<li>${needLink(prob, id)}</li>`;
  return `<div id="replan-diff" class="changed-row"><b>${h(t('diff.title', { n: diff.total ?? 0 }))}</b>
    ${list('diff.newly_met', diff.newly_met, need)}${list('diff.no_longer_met', diff.no_longer_met, need)}
    ${list('diff.assignments_added', diff.assignments_added, assignment)}
    ${list('diff.assignments_removed', diff.assignments_removed, assignment)}
    ${list('diff.bookings_added', diff.bookings_added, booking)}
    ${list('diff.bookings_removed', diff.bookings_removed, booking)}
    ${list('diff.grants_added', diff.grants_added, grant)}
    ${list('diff.grants_removed', diff.grants_removed, grant)}</div>`;
}

export function changesHtml(state) {
  const { prob } = state;
  const pending = state.pending.map((c, i) => `<li>${h(pendingText(prob, c))}
    ${button('unpend', t('change.remove'), { index: i })}</li>`).join('');
  return `<p class="muted">${h(t('change.help'))}</p>
    <ul id="pending">${pending || `<li class="muted">${h(t('change.none'))}</li>`}</ul>
    <div class="row">${button('replan', t('change.replan'), {}, 'primary')}
      <span id="replan-state" class="muted">${h(state.replanning ? t('change.replanning') : '')}</span></div>
    ${state.diff ? diffHtml(prob, state.diff) : ''}`;
}
