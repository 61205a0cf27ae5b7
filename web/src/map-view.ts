/**
 * The live map: devices as clustered circles coloured by status (alerts in the
 * colour of their worst level, clusters in the worst level inside them), from
 * one GeoJSON source; district names and cluster counts as HTML markers (no
 * glyphs offline); rings at the most urgent unacknowledged red alerts; a popup
 * per device, filled from the server when opened.
 *
 * Devices whose look changed reach the map as id-keyed diffs of the source,
 * and every diff makes MapLibre's worker re-cluster the whole city (a third
 * of a second of a core at 100,000 devices, seconds on a busy machine): so
 * changes are gathered and sent one diff at a time, each after a pause of at
 * least RECLUSTER_GAP_MS and RECLUSTER_GAP_FACTOR times the last one's
 * duration, and the worker never takes the page's CPU (measured with
 * bench/city-dashboard.ts: a diff every frame kept the worker on a whole core
 * and the page drew two frames a second). Feature-state was tried for the
 * colours: MapLibre applies every state again to every reloaded tile, so a
 * city's worth of states made each re-cluster a long task of its own.
 */
import maplibregl, { type GeoJSONFeatureDiff, type GeoJSONSource, type MapGeoJSONFeature } from 'maplibre-gl';
import { LEVEL_COLORS, levelRank, type DevicePatch, type DeviceStatus, type DeviceView, type Level } from '@lifeline/core';
import { api } from './api.js';
import { baseStyle, featureBounds, HOME_DISTRICT, labelPoint, type Boundaries } from './basemap.js';
import { DevicePopupContent } from './device-popup.js';
import { DeviceTable, type DeviceSummary } from './device-table.js';
import { h, toast } from './dom.js';
import { t } from './i18n.js';
import { onNextBeat } from './screen-beat.js';
import type { SilenceBook } from './silences.js';

export const STATUS_COLORS = { normal: '#2ecc71', offline: '#7b8794', unknown: '#c9d1d9' } as const;
const ALERT_WITHOUT_LEVEL = '#f5821f';
const SOURCE = 'devices';
const CLUSTER_RADIUS_PX = 42;
const CLUSTER_MAX_ZOOM = 13;
const FLY_ZOOM = 14;
const MAX_CLUSTER_MARKERS = 300;
/** Cluster labels are re-read from the rendered clusters at most this often while the map moves (and once when it stops). */
const CLUSTER_LABEL_MS = 150;
/** Rings drawn at once: the most urgent unacknowledged red alerts; the list holds the rest. */
export const MAX_RINGS = 100;
/** Shortest pause between two re-clusters of the device source, ms. */
const RECLUSTER_GAP_MS = 2000;
/** …and at least this many times the last re-cluster's duration: the worker's share of a core stays under 1 / (1 + factor). */
const RECLUSTER_GAP_FACTOR = 2;
const POPUP_MARGIN_PX = 12;

/**
 * What a device's point carries, and no more (a city's worth of it crosses to
 * MapLibre's worker, and every change a diff of it): the colour it is drawn in
 * (its status, or its worst level while it alerts) and the rank of that level
 * (0 unless it alerts), from which clusters take their worst level.
 */
type DeviceProps = { rank: number; color: string };

function look(status: DeviceStatus, level: Level | null): DeviceProps {
  if (status !== 'alert') return { rank: 0, color: STATUS_COLORS[status] ?? STATUS_COLORS.unknown };
  return { rank: Math.max(levelRank(level), 1), color: level ? LEVEL_COLORS[level] : ALERT_WITHOUT_LEVEL };
}

function diffOf(table: DeviceTable, i: number): GeoJSONFeatureDiff {
  const p = look(table.status(i), table.level(i));
  return {
    id: table.ids[i]!,
    addOrUpdateProperties: [
      { key: 'rank', value: p.rank },
      { key: 'color', value: p.color },
    ],
  };
}

function collection(table: DeviceTable): GeoJSON.FeatureCollection<GeoJSON.Point> {
  const features: GeoJSON.Feature<GeoJSON.Point>[] = new Array(table.size);
  for (let i = 0; i < table.size; i++) {
    features[i] = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [table.lon[i]!, table.lat[i]!] },
      properties: { id: table.ids[i]!, ...look(table.status(i), table.level(i)) },
    };
  }
  return { type: 'FeatureCollection', features };
}

const RANK_COLOR: maplibregl.ExpressionSpecification = [
  'match',
  ['get', 'maxRank'],
  4,
  LEVEL_COLORS.red,
  3,
  LEVEL_COLORS.orange,
  2,
  LEVEL_COLORS.yellow,
  1,
  LEVEL_COLORS.blue,
  // No alert inside: neutral, since members may be unknown or offline rather than normal.
  '#2c5b82',
];

export class MapView {
  readonly map: maplibregl.Map;
  private table = DeviceTable.empty();
  private readonly ready: Promise<void>;
  private popup: maplibregl.Popup | null = null;
  private popupContent: DevicePopupContent | null = null;
  /** Each popup request's number: a slower answer for an earlier click must not open over a later one. */
  private popupRequest = 0;
  private readonly rings = new Map<string, maplibregl.Marker>();
  private readonly clusterMarkers = new Map<number, maplibregl.Marker>();
  private clusterLabelsAt = 0;
  private sourceLoaded = false;
  /** Devices whose look changed since the last diff. */
  private readonly pending = new Set<number>();
  private reclusterTimer = 0;
  private reclusterRunning = false;
  private reclusterNotBefore = 0;

  constructor(
    container: HTMLElement,
    boundaries: Boundaries,
    private readonly silences?: SilenceBook,
  ) {
    const home = boundaries.features.filter((f) => f.properties.name === HOME_DISTRICT);
    const all = featureBounds(boundaries.features);
    this.map = new maplibregl.Map({
      container,
      style: baseStyle(boundaries),
      bounds: featureBounds(home.length ? home : boundaries.features),
      fitBoundsOptions: { padding: 40 },
      maxBounds: [
        [all[0][0] - 1, all[0][1] - 1],
        [all[1][0] + 1, all[1][1] + 1],
      ],
      attributionControl: { compact: false },
      dragRotate: false,
      pitchWithRotate: false,
      // Screenshots of the duty screen go into reports.
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    this.map.touchZoomRotate.disableRotation();
    for (const f of boundaries.features) {
      const home = f.properties.name === HOME_DISTRICT;
      const at = home ? labelPoint(f) : f.properties.cp;
      if (!at) continue;
      new maplibregl.Marker({ element: h('div', { class: home ? 'district-label home' : 'district-label' }, f.properties.name) }).setLngLat(at).addTo(this.map);
    }
    this.ready = new Promise((resolve) =>
      this.map.once('load', () => {
        this.addDeviceLayers();
        resolve();
      }),
    );
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  get deviceCount(): number {
    return this.table.size;
  }

  /** The devices as drawn, with their counters per status. */
  get devices(): DeviceTable {
    return this.table;
  }

  getDevice(id: string): DeviceSummary | undefined {
    return this.table.get(id);
  }

  /**
   * Replaces every device (initial load and resync after a reconnect). The same
   * registry again, as after a reconnect, goes to the map as a diff of the
   * devices whose look changed; only a different set of devices is sent whole.
   */
  setDevices(table: DeviceTable): void {
    const prev = this.table;
    this.table = table;
    const src = this.source();
    if (src) {
      if (prev.size > 0 && prev.sameDevices(table)) {
        for (let i = 0; i < table.size; i++) if (prev.status(i) !== table.status(i) || prev.level(i) !== table.level(i)) this.changed(i);
      } else {
        this.replaceSource(src);
      }
    }
    void this.refreshPopup();
  }

  /** Applies a frame's worth of patches: the counters at once, the map as one id-keyed diff of the devices whose look changed. */
  patchDevices(patches: DevicePatch[]): void {
    const open = this.popupContent;
    const drawn = this.source() !== undefined;
    for (const p of patches) {
      // A device not in the registry snapshot yet: the next resync brings it.
      const i = this.table.apply(p);
      if (i !== undefined && drawn) this.changed(i);
      if (open && p.id === open.id) open.update({ ...open.view, ...p, values: { ...open.view.values, ...p.values } });
    }
  }

  /** Flies to a device and opens its popup. */
  showDevice(id: string, fallback?: { lon: number; lat: number }): void {
    const d = this.table.get(id);
    const at: [number, number] | null = d ? [d.lon, d.lat] : fallback ? [fallback.lon, fallback.lat] : null;
    if (!at) return;
    this.map.flyTo({ center: at, zoom: Math.max(this.map.getZoom(), FLY_ZOOM), speed: 1.6, essential: true });
    if (d) void this.openDevice(id);
  }

  /** Pulsing rings at the given devices (unacknowledged red alerts, most urgent first, at most MAX_RINGS); others removed. */
  setRings(points: readonly { device: string; lon: number; lat: number }[]): void {
    const shown = new Map<string, { lon: number; lat: number }>();
    for (const p of points) {
      if (shown.size >= MAX_RINGS) break;
      if (!shown.has(p.device)) shown.set(p.device, p);
    }
    for (const [id, m] of this.rings)
      if (!shown.has(id)) {
        m.remove();
        this.rings.delete(id);
      }
    for (const [id, p] of shown) {
      if (this.rings.has(id)) continue;
      const d = this.table.get(id);
      const m = new maplibregl.Marker({ element: h('div', { class: 'pulse-ring', 'data-device': id }, h('span'), h('span')) })
        .setLngLat(d ? [d.lon, d.lat] : [p.lon, p.lat])
        .addTo(this.map);
      this.rings.set(id, m);
    }
  }

  /** Removes the ring at one device now (its alert was acknowledged), ahead of the next `setRings`. */
  dropRing(device: string): void {
    this.rings.get(device)?.remove();
    this.rings.delete(device);
  }

  /** Devices drawn on screen right now: single points plus the members of clusters. */
  renderedDeviceCount(): number {
    if (!this.sourceLoaded) return 0;
    let n = 0;
    for (const f of this.map.queryRenderedFeatures({ layers: ['clusters', 'device-points'] })) {
      n += typeof f.properties?.point_count === 'number' ? f.properties.point_count : 1;
    }
    return n;
  }

  refreshLanguage(): void {
    if (this.popupContent) this.openPopup(this.popupContent.view);
  }

  private source(): GeoJSONSource | undefined {
    return this.sourceLoaded ? (this.map.getSource(SOURCE) as GeoJSONSource | undefined) : undefined;
  }

  /** The whole collection again (another set of devices). */
  private replaceSource(src: GeoJSONSource): void {
    this.pending.clear();
    src.setData(collection(this.table));
  }

  /** A device's look changed: drawn with the next diff. */
  private changed(i: number): void {
    this.pending.add(i);
    this.scheduleRecluster();
  }

  private scheduleRecluster(): void {
    if (this.reclusterTimer || this.reclusterRunning) return;
    const wait = Math.max(0, this.reclusterNotBefore - performance.now());
    // Sent on the screen's beat, so the redraw it brings comes soon after a frame that changes anyway.
    this.reclusterTimer = window.setTimeout(() => onNextBeat(this.reclusterJob), wait);
  }

  private readonly reclusterJob = () => {
    this.reclusterTimer = 0;
    void this.recluster();
  };

  /** One diff of every pending device, waited for; the next no sooner than the pause after it. */
  private async recluster(): Promise<void> {
    const src = this.source();
    if (!src || !this.pending.size) return;
    const update: GeoJSONFeatureDiff[] = [];
    for (const i of this.pending) update.push(diffOf(this.table, i));
    this.pending.clear();
    this.reclusterRunning = true;
    const started = performance.now();
    try {
      await src.updateData({ update }, true);
    } catch (err) {
      console.warn('device diff failed, resetting the source', err);
      this.replaceSource(src);
    } finally {
      this.reclusterRunning = false;
      const took = performance.now() - started;
      this.reclusterNotBefore = performance.now() + Math.max(RECLUSTER_GAP_MS, RECLUSTER_GAP_FACTOR * took);
      if (this.pending.size) this.scheduleRecluster();
    }
  }

  private addDeviceLayers(): void {
    const map = this.map;
    map.addSource(SOURCE, {
      type: 'geojson',
      data: collection(this.table),
      promoteId: 'id',
      cluster: true,
      clusterRadius: CLUSTER_RADIUS_PX,
      clusterMaxZoom: CLUSTER_MAX_ZOOM,
      // A cluster shows the worst level inside it, so a red alert is never hidden by its neighbours.
      clusterProperties: { maxRank: ['max', ['get', 'rank']] },
    });
    this.sourceLoaded = true;
    map.addLayer({
      id: 'clusters',
      type: 'circle',
      source: SOURCE,
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': RANK_COLOR,
        'circle-opacity': 0.85,
        'circle-radius': ['step', ['get', 'point_count'], 14, 10, 18, 50, 24, 200, 30],
        'circle-stroke-color': 'rgba(255,255,255,0.55)',
        'circle-stroke-width': 1.5,
      },
    });
    map.addLayer({
      id: 'device-halo',
      type: 'circle',
      source: SOURCE,
      filter: ['all', ['!', ['has', 'point_count']], ['>', ['get', 'rank'], 0]],
      paint: { 'circle-color': ['get', 'color'], 'circle-radius': 14, 'circle-opacity': 0.25, 'circle-blur': 0.4 },
    });
    map.addLayer({
      id: 'device-points',
      type: 'circle',
      source: SOURCE,
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': ['get', 'color'],
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, ['case', ['>', ['get', 'rank'], 0], 6, 4], 15, ['case', ['>', ['get', 'rank'], 0], 10, 7]],
        'circle-stroke-color': '#0b1622',
        'circle-stroke-width': 1.5,
      },
    });

    map.on('click', 'device-points', (e) => {
      const id = e.features?.[0]?.properties?.id as string | undefined;
      if (id && this.table.indexOf(id) !== undefined) void this.openDevice(id);
    });
    map.on('click', 'clusters', (e) => void this.expandCluster(e.features?.[0]));
    for (const layer of ['device-points', 'clusters']) {
      map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
      map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
    }
    // Reading the rendered clusters costs a query over every drawn tile: not on every frame of a fly-to.
    map.on('render', () => {
      if (performance.now() - this.clusterLabelsAt < CLUSTER_LABEL_MS || !map.isSourceLoaded(SOURCE)) return;
      this.syncClusterMarkers();
    });
    map.on('idle', () => this.syncClusterMarkers());
  }

  private async expandCluster(f: MapGeoJSONFeature | undefined): Promise<void> {
    const src = this.source();
    if (!f || !src || f.geometry.type !== 'Point') return;
    const zoom = await src.getClusterExpansionZoom(f.properties.cluster_id as number);
    this.map.easeTo({ center: f.geometry.coordinates as [number, number], zoom: zoom + 0.2 });
  }

  /** Cluster counts as HTML labels, since a style without glyphs cannot draw text. */
  private syncClusterMarkers(): void {
    this.clusterLabelsAt = performance.now();
    const seen = new Set<number>();
    // Past the cluster zoom there are none, and a query would read every one of thousands of points.
    if (this.map.getZoom() >= CLUSTER_MAX_ZOOM + 1) {
      for (const m of this.clusterMarkers.values()) m.remove();
      this.clusterMarkers.clear();
      return;
    }
    // Rendered, not source, features: tiles kept for fading would leave stale labels behind.
    const features = this.map.queryRenderedFeatures({ layers: ['clusters'] });
    for (const f of features) {
      if (seen.size >= MAX_CLUSTER_MARKERS) break;
      const id = f.properties.cluster_id as number;
      if (seen.has(id) || f.geometry.type !== 'Point') continue;
      seen.add(id);
      const text = String(f.properties.point_count_abbreviated ?? f.properties.point_count);
      let m = this.clusterMarkers.get(id);
      if (!m) {
        m = new maplibregl.Marker({ element: h('div', { class: 'cluster-count' }) });
        m.setLngLat(f.geometry.coordinates as [number, number]).addTo(this.map);
        this.clusterMarkers.set(id, m);
      } else {
        m.setLngLat(f.geometry.coordinates as [number, number]);
      }
      const el = m.getElement();
      if (el.textContent !== text) el.textContent = text;
    }
    for (const [id, m] of this.clusterMarkers)
      if (!seen.has(id)) {
        m.remove();
        this.clusterMarkers.delete(id);
      }
  }

  /** Opens the popup of a device with its whole view (name, place, latest values) from the server: the map keeps only what it draws. */
  private async openDevice(id: string): Promise<void> {
    const request = ++this.popupRequest;
    try {
      const view = await api.device(id);
      if (request === this.popupRequest) this.openPopup(view);
    } catch (err) {
      if (request === this.popupRequest) toast(t('loadFailed', { msg: (err as Error).message }));
    }
  }

  /** After a resync: the open popup's device as the server has it now. */
  private async refreshPopup(): Promise<void> {
    const id = this.popupContent?.id;
    if (!id) return;
    const view = await api.device(id).catch(() => null);
    if (view && this.popupContent?.id === id) this.popupContent.update(view);
  }

  private openPopup(d: DeviceView): void {
    this.popupContent?.dispose();
    this.popup?.remove();
    const content = new DevicePopupContent(d, this.silences);
    this.popupContent = content;
    const popup = new maplibregl.Popup({ className: 'device-popup', maxWidth: '320px', offset: 12, focusAfterOpen: false })
      .setLngLat([d.lon, d.lat])
      .setDOMContent(content.root)
      .addTo(this.map);
    // A popup that grows (the silence form) is re-placed, and the map moves so that all of it is on screen.
    const resize = new ResizeObserver(() => {
      if (!popup.isOpen()) return;
      popup.setLngLat(popup.getLngLat());
      const box = popup.getElement().getBoundingClientRect();
      const frame = this.map.getContainer().getBoundingClientRect();
      const dy = box.bottom > frame.bottom ? box.bottom - frame.bottom + POPUP_MARGIN_PX : box.top < frame.top ? box.top - frame.top - POPUP_MARGIN_PX : 0;
      if (dy) this.map.panBy([0, dy], { duration: 200 });
    });
    resize.observe(content.root);
    popup.on('close', () => {
      resize.disconnect();
      if (this.popupContent === content) {
        content.dispose();
        this.popupContent = null;
        this.popup = null;
      }
    });
    this.popup = popup;
  }
}
