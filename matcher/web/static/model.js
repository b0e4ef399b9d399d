// The problem and plan documents (SPEC) indexed for the page: lookups by id, who does what,
// tallies by priority, region and donor. No drawing and no requests here.

/** Regions are drawn and tallied at this depth of the region path (a town or street). */
export const REGION_DEPTH = 2;

export function regionKey(region, depth = REGION_DEPTH) {
  return (region || '').split('/').slice(0, depth).join('/');
}

function byId(list) {
  return new Map((list || []).map((e) => [e.id, e]));
}

/** Lookups into a problem document. */
export function indexProblem(doc) {
  const needs = byId(doc.needs);
  const regions = new Map();
  for (const n of doc.needs || []) {
    const key = regionKey(n.region);
    if (!regions.has(key)) regions.set(key, []);
    regions.get(key).push(n);
  }
  const weights = doc.objective?.priority_weights || [1, 2, 4, 8, 16];
  return {
    doc,
    currency: doc.currency || 'CNY',
    needs,
    volunteers: byId(doc.volunteers),
    venues: byId(doc.venues),
    funds: byId(doc.funds),
    regions,
    weight: (n) => n.weight ?? weights[n.priority - 1],
  };
}

function push(map, key, value) {
  if (!map.has(key)) map.set(key, []);
  map.get(key).push(value);
}

/** Lookups into a plan: what each need got and what each resource gives. */
export function indexPlan(plan) {
  const byNeed = new Map();
  const need = (id) => {
    if (!byNeed.has(id)) byNeed.set(id, { assignments: [], booking: null, grants: [] });
    return byNeed.get(id);
  };
  const byVolunteer = new Map();
  const byVenue = new Map();
  const byFund = new Map();
  for (const a of plan.assignments || []) {
    need(a.need).assignments.push(a);
    push(byVolunteer, a.volunteer, a);
  }
  for (const b of plan.bookings || []) {
    need(b.need).booking = b;
    push(byVenue, b.venue, b);
  }
  for (const g of plan.grants || []) {
    need(g.need).grants.push(g);
    push(byFund, g.fund, g);
  }
  return {
    plan,
    met: new Set(plan.met || []),
    unmet: new Map((plan.unmet || []).map((u) => [u.need, u.reasons || []])),
    byNeed,
    byVolunteer,
    byVenue,
    byFund,
    of: (id) => byNeed.get(id) || { assignments: [], booking: null, grants: [] },
  };
}

function tally(rows, key, need, isMet, weight) {
  if (!rows.has(key)) rows.set(key, { key, met: 0, unmet: 0, metWeight: 0, weight: 0 });
  const row = rows.get(key);
  row[isMet ? 'met' : 'unmet'] += 1;
  row.weight += weight;
  if (isMet) row.metWeight += weight;
}

/** Needs met and unmet by priority (5 first) and by region (worst coverage first). */
export function tallies(prob, planIdx) {
  const byPriority = new Map();
  const byRegion = new Map();
  for (const n of prob.doc.needs || []) {
    const isMet = planIdx.met.has(n.id);
    const w = prob.weight(n);
    tally(byPriority, n.priority, n, isMet, w);
    tally(byRegion, regionKey(n.region) || '-', n, isMet, w);
  }
  const share = (r) => (r.weight ? r.metWeight / r.weight : 1);
  return {
    byPriority: [...byPriority.values()].sort((a, b) => b.key - a.key),
    byRegion: [...byRegion.values()].sort((a, b) => share(a) - share(b) || (a.key < b.key ? -1 : 1)),
    share,
  };
}

/** Fund use per donor: amount, granted, left and the grants, donors by amount granted. */
export function fundUse(prob, planIdx) {
  const donors = new Map();
  for (const f of prob.doc.funds || []) {
    const donor = f.donor || f.id;
    if (!donors.has(donor)) donors.set(donor, { donor, amount: 0, used: 0, grants: 0, funds: [] });
    const d = donors.get(donor);
    const grants = planIdx.byFund.get(f.id) || [];
    const used = grants.reduce((s, g) => s + g.amount, 0);
    d.amount += f.amount;
    d.used += used;
    d.grants += grants.length;
    d.funds.push({ fund: f, used, grants });
  }
  return [...donors.values()].sort((a, b) => b.used - a.used || b.amount - a.amount);
}

/** Hours a volunteer gives in the plan. */
export function hoursOf(prob, assignments) {
  let seconds = 0;
  for (const a of assignments) {
    const n = prob.needs.get(a.need);
    if (n) seconds += (Date.parse(n.end) - Date.parse(n.start)) / 1000;
  }
  return seconds / 3600;
}

export function byStart(prob) {
  return (a, b) => {
    const na = prob.needs.get(a.need);
    const nb = prob.needs.get(b.need);
    return Date.parse(na?.start || 0) - Date.parse(nb?.start || 0);
  };
}

/** Convex hull of [lat, lon] points (Andrew's monotone chain), for region outlines. */
export function convexHull(points) {
  const pts = [...new Map(points.map((p) => [`${p[0]},${p[1]}`, p])).values()]
    .sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (pts.length < 3) return pts;
  const cross = (o, a, b) => (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]);
  const half = (list) => {
    const out = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(pts), ...half([...pts].reverse())];
}
