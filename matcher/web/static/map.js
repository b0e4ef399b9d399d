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
      preview: L.layerGroup(), volunteers: L.featureGroup(), venues: L.featureGroup(),
      needs: L.featureGroup(), selection: L.layerGroup(),
    };
    for (const layer of Object.values(this.layers)) layer.addTo(this.map);
    for (const [key, kind] of [['needs', 'need'], ['volunteers', 'volunteer'], ['venues', 'venue']]) {
      this.layers[key].on('click', (e) => this.onPick(kind, e.layer.ref, e.latlng));
    }
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

  // Styles of the points: by kind and, once there is a plan, by what the plan gives them.
  static needStyle(n, planIdx) {
    let colour = COLOURS.open;
    if (planIdx) colour = planIdx.met.has(n.id) ? COLOURS.met : COLOURS.unmet;
    return { radius: 2.5 + n.priority, color: '#fff', weight: 1, fillColor: colour, fillOpacity: 0.9 };
  }

  static volunteerStyle(v, planIdx) {
    const busy = planIdx?.byVolunteer.has(v.id);
    return {
      radius: busy ? 3 : 2.5, weight: 0, fillOpacity: busy ? 0.85 : 0.55,
      fillColor: busy ? COLOURS.busy : COLOURS.volunteer,
    };
  }

  _points(key, entities, style) {
    // Built off the map and added in one go; one click handler per layer, not per point.
    const group = this.layers[key];
    group.remove();
    group.clearLayers();
    const markers = new Map();
    for (const e of entities) {
      const marker = this.L.circleMarker(ll(e.location), { renderer: this.renderer, ...style(e) });
      marker.ref = e.id;
      group.addLayer(marker);
      markers.set(e.id, marker);
    }
    group.addTo(this.map);
    return markers;
  }

  /** Draw a problem's points and region outlines (no plan yet). */
  showProblem(prob) {
    this.prob = prob;
    for (const key of ['lines', 'changes', 'preview', 'selection']) this.layers[key].clearLayers();
    this._drawRegions(prob, null);
    this.volunteerMarkers = this._points('volunteers', prob.volunteers.values(),
      (v) => PlanMap.volunteerStyle(v, null));
    this._points('venues', prob.venues.values(), () => ({
      radius: 7, color: '#fff', weight: 1.5, fillColor: COLOURS.venue, fillOpacity: 0.9,
    }));
    this.needMarkers = this._points('needs', prob.needs.values(),
      (n) => PlanMap.needStyle(n, null));
  }

  /** Colour the points by a plan and draw its lines. The problem's entities are the ones
   *  drawn by showProblem (a replan adds pins and forbids, not places); only points whose
   *  look changes are restyled, so a city's plan does not rebuild 17,000 points. */
  showPlan(prob, planIdx) {
    this.prob = prob;
    for (const key of ['lines', 'changes', 'preview']) this.layers[key].clearLayers();
    // One canvas holds every shape and the last drawn wins a click: lines and then region
    // outlines go to the back, so the points stay on top of them and clickable.
    if (planIdx) this._drawLines(prob, planIdx);
    this._drawRegions(prob, planIdx);
    const restyle = (markers, entities, style) => {
      for (const e of entities) {
        const marker = markers.get(e.id);
        const want = style(e);
        if (marker && marker.options.fillColor !== want.fillColor) marker.setStyle(want);
      }
    };
    restyle(this.needMarkers, prob.needs.values(), (n) => PlanMap.needStyle(n, planIdx));
    restyle(this.volunteerMarkers, prob.volunteers.values(),
      (v) => PlanMap.volunteerStyle(v, planIdx));
  }

  fit() {
    const points = [];
    for (const n of this.prob.needs.values()) points.push(ll(n.location));
    for (const u of this.prob.venues.values()) points.push(ll(u.location));
    if (points.length) this.map.fitBounds(points, { padding: [20, 20], animate: false });
  }

  _drawRegions(prob, planIdx) {
    this.layers.regions.clearLayers();
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
      }).bindTooltip(label, { sticky: true }).addTo(this.layers.regions).bringToBack();
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

  _lines(segs, style, layer, back = false) {
    // One polyline of many segments: a plan of 20,000 lines is one canvas path.
    if (segs.length) {
      const line = this.L.polyline(segs, { renderer: this.renderer, interactive: false, ...style })
        .addTo(layer);
      if (back) line.bringToBack();
    }
  }

  _drawLines(prob, planIdx) {
    this._lines(this._segments(prob, planIdx.plan.assignments || [], 'volunteer'),
      { color: COLOURS.vline, weight: 1, opacity: 0.55 }, this.layers.lines, true);
    this._lines(this._segments(prob, planIdx.plan.bookings || [], 'venue'),
      { color: COLOURS.uline, weight: 1.5, opacity: 0.7 }, this.layers.lines, true);
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
    // No animation: a zoom request that comes during one is dropped by Leaflet.
    if (pan) this.map.setView(ll(n.location), Math.max(this.map.getZoom(), 13), { animate: false });
  }

  latlngOf(kind, id) {
    const list = { need: 'needs', volunteer: 'volunteers', venue: 'venues' }[kind];
    const e = this.prob?.[list]?.get(id);
    return e ? ll(e.location) : null;
  }

  /** What is drawn, layer by layer (line layers count segments): for tests and scripts. */
  stats() {
    const count = (key) => this.layers[key].getLayers().length;
    const segments = (key) => this.layers[key].getLayers()
      .reduce((sum, l) => sum + (l.getLatLngs ? l.getLatLngs().length : 1), 0);
    return {
      needs: count('needs'), volunteers: count('volunteers'), venues: count('venues'),
      regions: count('regions'), lines: segments('lines'), changes: segments('changes'),
      preview: segments('preview'),
    };
  }

  openPopup(latlng, html) {
    this.L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(html).openOn(this.map);
  }

  closePopup() {
    this.map.closePopup();
  }
}

