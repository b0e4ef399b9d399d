// What a click on the map shows: a need, a volunteer or a venue, with the pin and forbid
// buttons that apply to it.

import { escapeHtml as h, fmtKm, fmtMoney, fmtNumber, fmtSpan, t } from './i18n.js';
import { byStart } from './model.js';
import { button } from './results.js';

function pinForbid(need, target) {
  return `${button('pin', t('popup.pin'), { need, ...target })}
    ${button('forbid', t('popup.forbid'), { need, ...target })}`;
}

export function needPopup(state, id) {
  const { prob, planIdx } = state;
  const n = prob.needs.get(id);
  const roles = (n.roles || []).map((r) => t('popup.role', {
    skill: r.skill, count: r.count, min: r.min_count ?? r.count,
  }));
  const asks = [...roles];
  if (n.venue) asks.push(t('popup.asks_venue', { capacity: n.venue.capacity }));
  if (n.funding) asks.push(t('popup.asks_funding', { amount: fmtMoney(n.funding, prob.currency) }));
  let plan = '';
  if (planIdx && planIdx.met.has(id)) {
    const got = planIdx.of(id);
    const rows = got.assignments.map((a) => `<li>${h(a.volunteer)} · ${h(a.skill)} · ${fmtKm(a.distance_m)}
      ${pinForbid(id, { volunteer: a.volunteer })}</li>`);
    if (got.booking) {
      const name = prob.venues.get(got.booking.venue)?.name || got.booking.venue;
      rows.push(`<li>${h(name)} · ${fmtKm(got.booking.distance_m)} ${pinForbid(id, { venue: got.booking.venue })}</li>`);
    }
    for (const g of got.grants) {
      rows.push(`<li>${h(prob.funds.get(g.fund)?.donor || g.fund)} · ${h(fmtMoney(g.amount, prob.currency))}
        ${pinForbid(id, { fund: g.fund, amount: g.amount })}</li>`);
    }
    plan = `<div><span class="badge met">${h(t('popup.met'))}</span></div><ul>${rows.join('')}</ul>`;
  } else if (planIdx) {
    const reasons = planIdx.unmet.get(id) || [];
    plan = `<div><span class="badge unmet">${h(t('popup.unmet'))}</span></div>
      <ul>${reasons.map((r) => `<li>${h(typeof r === 'string' ? r : JSON.stringify(r))}</li>`).join('')}</ul>
      ${button('recommend', t('unmet.recommend'), { need: id })}`;
  }
  return `<div class="popup-need" data-need="${h(id)}"><b>${h(n.title || id)}</b> <span class="muted">${h(id)} · P${n.priority}</span>
    <div class="muted">${h(fmtSpan(n.start, n.end))} · ${h(n.region || '-')} · ${h(n.category || '')}</div>
    <div>${h(asks.join('; '))}</div>${plan}
    <div class="muted">${h(t('popup.selected_hint'))}</div></div>`;
}

function scheduleList(state, rows) {
  const { prob } = state;
  return `<ul>${[...rows].sort(byStart(prob)).map((r) => {
    const n = prob.needs.get(r.need);
    return `<li>${h(n ? fmtSpan(n.start, n.end) : '')} · ${h(n?.title || r.need)}</li>`;
  }).join('')}</ul>`;
}

function forSelected(state, target) {
  const need = state.selected;
  if (!need) return `<div class="muted">${h(t('popup.select_first'))}</div>`;
  const title = state.prob.needs.get(need)?.title || need;
  return `<div>${h(t('popup.for_selected', { title }))}</div><div class="row">
    ${button('pin', t('popup.pin'), { need, ...target })} ${button('forbid', t('popup.forbid'), { need, ...target })}</div>`;
}

export function volunteerPopup(state, id) {
  const { prob, planIdx } = state;
  const v = prob.volunteers.get(id);
  const rows = planIdx?.byVolunteer.get(id) || [];
  return `<div class="popup-volunteer" data-volunteer="${h(id)}"><b>${h(v.name || id)}</b>
    <div class="muted">${h((v.skills || []).join(', '))}</div>
    <div class="muted">${h(t('popup.volunteer_limits', {
      hours: v.max_hours ?? '∞', km: fmtNumber(v.max_travel_km ?? 10, 1) }))}</div>
    ${planIdx ? `<div>${h(t('popup.schedule', { n: rows.length }))}</div>${scheduleList(state, rows)}` : ''}
    ${forSelected(state, { volunteer: id })}</div>`;
}

export function venuePopup(state, id) {
  const { prob, planIdx } = state;
  const u = prob.venues.get(id);
  const rows = planIdx?.byVenue.get(id) || [];
  return `<div class="popup-venue" data-venue="${h(id)}"><b>${h(u.name || id)}</b>
    <div class="muted">${h(t('popup.venue_info', {
      capacity: u.capacity, features: (u.features || []).join(', ') || '-', rating: u.rating ?? 3 }))}</div>
    ${planIdx ? `<div>${h(t('popup.bookings', { n: rows.length }))}</div>${scheduleList(state, rows)}` : ''}
    ${forSelected(state, { venue: id })}</div>`;
}
