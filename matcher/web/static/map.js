// The map: needs, volunteers and venues as canvas circles (Leaflet's preferCanvas, so a
// city of 10,000 volunteers stays responsive), region outlines as convex hulls, and the
// plan as lines from each met need to its volunteers and venue. Drawing only: what a click
// means is decided by the caller (onPick).

import { t } from './i18n.js';
import { convexHull } from './model.js';

const COLOURS = {
  open: '#4a6fa5', met: '#2e8b57', unmet: '#d0342c', venue: '#7b3fa0',
  volunteer: '#8a96a3', busy: '#34495e', changed: '#ff8c00', lost: '#d0342c',
  vline: '#2e8b57', uline: '#7b3fa0', selected: '#111111',
};

function ll(loc) {
  return [loc.lat, loc.lon];
}

export class PlanMap {
  /** `config` is /web/config.json; onPick(kind, id, latlng) is called on a click. */
  constructor(element, config, onPick) {
    const L = window.L;
    this.L = L;
    this.onPick = onPick;
    this.map = L.map(element, { preferCanvas: true, zoomSnap: 0.25, worldCopyJump: false });
    this.renderer = L.canvas({ padding: 0.2, tolerance: 4 });
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', maxZoom: 19 })
        .addTo(this.map);
    }
    this.map.attributionControl.setPrefix('Leaflet');
    this.layers = {
      regions: L.layerGroup(), lines: L.layerGroup(), changes: L.layerGroup(),
      preview: L.layerGroup(), volunteers: L.layerGroup(), venues: L.layerGroup(),
      needs: L.layerGroup(), selection: L.layerGroup(),
    };
    for (const layer of Object.values(this.layers)) layer.addTo(this.map);
    this.map.setView([32.7, 119.0], 10);
    this.controls = [];
    this.relabel();
  }

  /** Layer switch and legend in the current language. */
  relabel() {
    const L = this.L;
    for (const c of this.controls) c.remove();
    const overlays = {
      [t('map.layer.regions')]: this.layers.regions,
      [t('map.layer.needs')]: this.layers.needs,
      [t('map.layer.volunteers')]: this.layers.volunteers,
      [t('map.layer.venues')]: this.layers.venues,
      [t('map.layer.lines')]: this.layers.lines,
      [t('map.layer.changes')]: this.layers.changes,
    };
    const layers = L.control.layers(null, overlays, { collapsed: true, position: 'topright' });
    const legend = L.control({ position: 'bottomright' });
    legend.onAdd = () => {
      const div = L.DomUtil.create('div', 'legend');
      const item = (colour, key) => `<div><i style="background:${colour}"></i>${t(key)}</div>`;
      div.innerHTML = item(COLOURS.open, 'map.legend.need') + item(COLOURS.met, 'map.legend.met')
        + item(COLOURS.unmet, 'map.legend.unmet') + item(COLOURS.volunteer, 'map.legend.volunteer')
        + item(COLOURS.venue, 'map.legend.venue') + item(COLOURS.changed, 'map.legend.changed');
      return div;
    };
    this.controls = [layers.addTo(this.map), legend.addTo(this.map)];
  }

  _circle(latlng, style, kind, id) {
    const marker = this.L.circleMarker(latlng, { renderer: this.renderer, ...style });
    marker.on('click', (e) => this.onPick(kind, id, e.latlng));
    return marker;
  }

  /** Draw a problem's points and region outlines; `planIdx` colours needs by the plan. */
  showProblem(prob, planIdx = null) {
    this.prob = prob;
    for (const key of ['regions', 'volunteers', 'venues', 'needs', 'lines', 'changes', 'preview',
      'selection']) this.layers[key].clearLayers();
    this._drawRegions(prob, planIdx);
    for (const v of prob.volunteers.values()) {
      const busy = planIdx?.byVolunteer.has(v.id);
      this._circle(ll(v.location), {
        radius: busy ? 3 : 2.5, weight: 0, fillOpacity: busy ? 0.85 : 0.55,
        fillColor: busy ? COLOURS.busy : COLOURS.volunteer,
      }, 'volunteer', v.id).addTo(this.layers.volunteers);
    }
    for (const u of prob.venues.values()) {
      this._circle(ll(u.location), {
        radius: 7, color: '#fff', weight: 1.5, fillColor: COLOURS.venue, fillOpacity: 0.9,
      }, 'venue', u.id).addTo(this.layers.venues);
    }
    this.needMarkers = new Map();
    for (const n of prob.needs.values()) {
      let colour = COLOURS.open;
      if (planIdx) colour = planIdx.met.has(n.id) ? COLOURS.met : COLOURS.unmet;
      const marker = this._circle(ll(n.location), {
        radius: 2.5 + n.priority, color: '#fff', weight: 1, fillColor: colour, fillOpacity: 0.9,
      }, 'need', n.id).addTo(this.layers.needs);
      this.needMarkers.set(n.id, marker);
    }
    if (planIdx) this._drawLines(prob, planIdx);
  }

  fit() {
    const points = [];
    for (const n of this.prob.needs.values()) points.push(ll(n.location));
    for (const u of this.prob.venues.values()) points.push(ll(u.location));
    if (points.length) this.map.fitBounds(points, { padding: [20, 20] });
  }

  _drawRegions(prob, planIdx) {
    for (const [key, needs] of prob.regions) {
      if (!key) continue;
      const hull = convexHull(needs.map((n) => ll(n.location)));
      if (hull.length < 3) continue;
      let fill = '#4a6fa5';
      let label = `${key} · ${t('map.region_needs', { n: needs.length })}`;
      if (planIdx) {
        const met = needs.filter((n) => planIdx.met.has(n.id)).length;
        const share = met / needs.length;
        fill = `hsl(${Math.round(120 * share)}, 60%, 45%)`;
        label = `${key} · ${t('map.region_met', { met, n: needs.length })}`;
      }
      this.L.polygon(hull, {
        renderer: this.renderer, color: '#34495e', weight: 1.2, dashArray: '4 3',
        fillColor: fill, fillOpacity: 0.1, regionKey: key,
      }).bindTooltip(label, { sticky: true }).addTo(this.layers.regions);
    }
  }

  _segments(prob, items, kind) {
    const segs = [];
    for (const it of items) {
      const n = prob.needs.get(it.need);
      const r = kind === 'volunteer' ? prob.volunteers.get(it.volunteer) : prob.venues.get(it.venue);
      if (n && r) segs.push([ll(n.location), ll(r.location)]);
    }
    return segs;
  }

  _lines(segs, style, layer) {
    // One polyline of many segments: a plan of 20,000 lines is one canvas path.
    if (segs.length) {
      this.L.polyline(segs, { renderer: this.renderer, interactive: false, ...style }).addTo(layer);
    }
  }

  _drawLines(prob, planIdx) {
    this._lines(this._segments(prob, planIdx.plan.assignments || [], 'volunteer'),
      { color: COLOURS.vline, weight: 1, opacity: 0.55 }, this.layers.lines);
    this._lines(this._segments(prob, planIdx.plan.bookings || [], 'venue'),
      { color: COLOURS.uline, weight: 1.5, opacity: 0.7 }, this.layers.lines);
  }

  /** Mark what a replan changed: needs newly met / lost, lines added / removed. */
  showChanges(prob, diff) {
    this.layers.changes.clearLayers();
    if (!diff) return;
    const added = [...this._segments(prob, diff.assignments_added || [], 'volunteer'),
      ...this._segments(prob, diff.bookings_added || [], 'venue')];
    const removed = [...this._segments(prob, diff.assignments_removed || [], 'volunteer'),
      ...this._segments(prob, diff.bookings_removed || [], 'venue')];
    this._lines(removed, { color: COLOURS.lost, weight: 2, opacity: 0.9, dashArray: '5 4' },
      this.layers.changes);
    this._lines(added, { color: COLOURS.changed, weight: 3, opacity: 0.95 }, this.layers.changes);
    const ring = (id, colour) => {
      const n = prob.needs.get(id);
      if (!n) return;
      this.L.circleMarker(ll(n.location), {
        renderer: this.renderer, radius: 12, color: colour, weight: 3, fill: false,
        interactive: false,
      }).addTo(this.layers.changes);
    };
    const touched = new Set([...(diff.assignments_added || []), ...(diff.assignments_removed || []),
      ...(diff.bookings_added || []), ...(diff.bookings_removed || []),
      ...(diff.grants_added || []), ...(diff.grants_removed || [])].map((c) => c.need));
    for (const id of touched) ring(id, COLOURS.changed);
    for (const id of diff.newly_met || []) ring(id, COLOURS.changed);
    for (const id of diff.no_longer_met || []) ring(id, COLOURS.lost);
  }

  /** Dashed lines from a need to the resources a recommendation would give it. */
  preview(prob, needId, option) {
    this.layers.preview.clearLayers();
    if (!option) return;
    const items = (option.volunteers || []).map((v) => ({ need: needId, volunteer: v.volunteer }));
    this._lines(this._segments(prob, items, 'volunteer'),
      { color: COLOURS.changed, weight: 2.5, dashArray: '6 4' }, this.layers.preview);
    if (option.venue) {
      this._lines(this._segments(prob, [{ need: needId, venue: option.venue.venue }], 'venue'),
        { color: COLOURS.venue, weight: 2.5, dashArray: '6 4' }, this.layers.preview);
    }
  }

  /** Ring the selected need; pan to it when asked. */
  select(needId, pan = false) {
    this.layers.selection.clearLayers();
    const n = this.prob?.needs.get(needId);
    if (!n) return;
    this.L.circleMarker(ll(n.location), {
      renderer: this.renderer, radius: 10, color: COLOURS.selected, weight: 2, fill: false,
      interactive: false,
    }).addTo(this.layers.selection);
    if (pan) this.map.setView(ll(n.location), Math.max(this.map.getZoom(), 13));
  }

  latlngOf(kind, id) {
    const list = { need: 'needs', volunteer: 'volunteers', venue: 'venues' }[kind];
    const e = this.prob?.[list]?.get(id);
    return e ? ll(e.location) : null;
  }

  openPopup(latlng, html) {
    this.L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(html).openOn(this.map);
  }

  closePopup() {
    this.map.closePopup();
  }
}

