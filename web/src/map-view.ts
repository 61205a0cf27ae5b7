/**
 * The live map: devices as clustered circles coloured by status (alerts in the
 * colour of their worst level), updated by id-keyed diffs; district names and
 * cluster counts as HTML markers (no glyphs offline); pulsing rings at devices
 * with an unacknowledged red alert; a popup per device.
 */
import maplibregl, { type GeoJSONSource, type GeoJSONSourceDiff, type MapGeoJSONFeature } from 'maplibre-gl';
import { LEVEL_COLORS, levelRank, type DevicePatch, type DeviceView } from '@lifeline/core';
import { baseStyle, featureBounds, HOME_DISTRICT, labelPoint, type Boundaries } from './basemap.js';
import { DevicePopupContent } from './device-popup.js';
import { h } from './dom.js';
import type { SilenceBook } from './silences.js';

export const STATUS_COLORS = { normal: '#2ecc71', offline: '#7b8794', unknown: '#c9d1d9' } as const;
const ALERT_WITHOUT_LEVEL = '#f5821f';
const SOURCE = 'devices';
const CLUSTER_RADIUS_PX = 42;
const CLUSTER_MAX_ZOOM = 13;
const FLY_ZOOM = 14;
const MAX_CLUSTER_MARKERS = 300;
const POPUP_MARGIN_PX = 12;

type DeviceProps = { id: string; name: string; kind: string; status: string; rank: number; color: string; alert: number };

function props(d: DeviceView): DeviceProps {
  const rank = d.status === 'alert' ? Math.max(levelRank(d.level), 1) : 0;
  const color = d.status === 'alert' ? (d.level ? LEVEL_COLORS[d.level] : ALERT_WITHOUT_LEVEL) : (STATUS_COLORS[d.status] ?? STATUS_COLORS.unknown);
  return { id: d.id, name: d.name, kind: d.kind, status: d.status, rank, color, alert: d.status === 'alert' ? 1 : 0 };
}

function feature(d: DeviceView): GeoJSON.Feature<GeoJSON.Point, DeviceProps> {
  return { type: 'Feature', geometry: { type: 'Point', coordinates: [d.lon, d.lat] }, properties: props(d) };
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
  private readonly devices = new Map<string, DeviceView>();
  private readonly ready: Promise<void>;
  private popup: maplibregl.Popup | null = null;
  private popupContent: DevicePopupContent | null = null;
  private readonly rings = new Map<string, maplibregl.Marker>();
  private readonly clusterMarkers = new Map<number, maplibregl.Marker>();
  private sourceLoaded = false;

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
    return this.devices.size;
  }

  getDevice(id: string): DeviceView | undefined {
    return this.devices.get(id);
  }

  allDevices(): IterableIterator<DeviceView> {
    return this.devices.values();
  }

  /** Replaces every device (initial load and resync after a reconnect). */
  setDevices(list: DeviceView[]): void {
    this.devices.clear();
    for (const d of list) this.devices.set(d.id, d);
    this.source()?.setData({ type: 'FeatureCollection', features: list.map(feature) });
    this.refreshPopup();
  }

  /** Applies a frame's worth of patches as one id-keyed diff. */
  patchDevices(patches: DevicePatch[]): void {
    const diff: GeoJSONSourceDiff = { update: [] };
    for (const p of patches) {
      const prev = this.devices.get(p.id);
      if (!prev) continue; // not in the registry snapshot yet; the next resync brings it
      const next: DeviceView = { ...prev, ...p, values: { ...prev.values, ...p.values } };
      this.devices.set(p.id, next);
      const a = props(prev);
      const b = props(next);
      if (a.color !== b.color || a.status !== b.status || a.rank !== b.rank) {
        diff.update!.push({
          id: p.id,
          addOrUpdateProperties: [
            { key: 'status', value: b.status },
            { key: 'rank', value: b.rank },
            { key: 'color', value: b.color },
            { key: 'alert', value: b.alert },
          ],
        });
      }
    }
    const src = this.source();
    if (src && diff.update!.length) {
      try {
        src.updateData(diff);
      } catch (err) {
        console.warn('device diff failed, resetting the source', err);
        src.setData({ type: 'FeatureCollection', features: [...this.devices.values()].map(feature) });
      }
    }
    if (this.popupContent && patches.some((p) => p.id === this.popupContent?.id)) this.refreshPopup();
  }

  /** Flies to a device and opens its popup. */
  showDevice(id: string, fallback?: { lon: number; lat: number }): void {
    const d = this.devices.get(id);
    const at: [number, number] | null = d ? [d.lon, d.lat] : fallback ? [fallback.lon, fallback.lat] : null;
    if (!at) return;
    this.map.flyTo({ center: at, zoom: Math.max(this.map.getZoom(), FLY_ZOOM), speed: 1.6, essential: true });
    if (d) this.openPopup(d);
  }

  /** Pulsing rings at the given devices (unacknowledged red alerts); others removed. */
  setRings(points: { device: string; lon: number; lat: number }[]): void {
    const keep = new Set(points.map((p) => p.device));
    for (const [id, m] of this.rings)
      if (!keep.has(id)) {
        m.remove();
        this.rings.delete(id);
      }
    for (const p of points) {
      if (this.rings.has(p.device)) continue;
      const d = this.devices.get(p.device);
      const m = new maplibregl.Marker({ element: h('div', { class: 'pulse-ring', 'data-device': p.device }, h('span'), h('span')) })
        .setLngLat(d ? [d.lon, d.lat] : [p.lon, p.lat])
        .addTo(this.map);
      this.rings.set(p.device, m);
    }
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
    const d = this.popupContent ? this.devices.get(this.popupContent.id) : undefined;
    if (d) this.openPopup(d);
  }

  private source(): GeoJSONSource | undefined {
    return this.sourceLoaded ? (this.map.getSource(SOURCE) as GeoJSONSource | undefined) : undefined;
  }

  private addDeviceLayers(): void {
    const map = this.map;
    map.addSource(SOURCE, {
      type: 'geojson',
      data: { type: 'FeatureCollection', features: [...this.devices.values()].map(feature) },
      promoteId: 'id',
      cluster: true,
      clusterRadius: CLUSTER_RADIUS_PX,
      clusterMaxZoom: CLUSTER_MAX_ZOOM,
      // A cluster shows the worst level inside it, so a red alert is never hidden by its neighbours.
      clusterProperties: { maxRank: ['max', ['get', 'rank']], alerts: ['+', ['get', 'alert']] },
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
      filter: ['all', ['!', ['has', 'point_count']], ['==', ['get', 'status'], 'alert']],
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
      const d = id ? this.devices.get(id) : undefined;
      if (d) this.openPopup(d);
    });
    map.on('click', 'clusters', (e) => void this.expandCluster(e.features?.[0]));
    for (const layer of ['device-points', 'clusters']) {
      map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
      map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
    }
    map.on('render', () => {
      if (map.isSourceLoaded(SOURCE)) this.syncClusterMarkers();
    });
  }

  private async expandCluster(f: MapGeoJSONFeature | undefined): Promise<void> {
    const src = this.source();
    if (!f || !src || f.geometry.type !== 'Point') return;
    const zoom = await src.getClusterExpansionZoom(f.properties.cluster_id as number);
    this.map.easeTo({ center: f.geometry.coordinates as [number, number], zoom: zoom + 0.2 });
  }

  /** Cluster counts as HTML labels, since a style without glyphs cannot draw text. */
  private syncClusterMarkers(): void {
    const seen = new Set<number>();
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

  private refreshPopup(): void {
    if (!this.popupContent) return;
    const d = this.devices.get(this.popupContent.id);
    if (d) this.popupContent.update(d);
  }
}
