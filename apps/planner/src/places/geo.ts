/**
 * Points on the Earth and the great-circle distance between them. Coordinates are degrees
 * (latitude -90..90, longitude -180..180); distances are metres on a sphere of the mean Earth
 * radius, which is within 0.5% of the ellipsoid: plenty for walking distances between places.
 */

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

export const EARTH_RADIUS_M = 6_371_008.8;
/** Metres in one degree of latitude (and of longitude at the equator). */
export const METRES_PER_DEGREE = (Math.PI * EARTH_RADIUS_M) / 180;

const RAD = Math.PI / 180;

/** Haversine great-circle distance in metres. */
export function distanceMeters(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** True when lat/lon are finite numbers in range. */
export function isValidLatLon(lat: unknown, lon: unknown): boolean {
  return (
    typeof lat === 'number' &&
    typeof lon === 'number' &&
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    lat >= -90 &&
    lat <= 90 &&
    lon >= -180 &&
    lon <= 180
  );
}

/**
 * Half-widths in degrees of a box that contains every point within `radiusMeters` of `center`. The
 * longitude half-width is 180 (the whole circle) near the poles, where it would blow up.
 */
export function boundingDegrees(
  center: LatLon,
  radiusMeters: number,
): { dLat: number; dLon: number } {
  const dLat = radiusMeters / METRES_PER_DEGREE;
  const maxLat = Math.min(90, Math.abs(center.lat) + dLat);
  const cos = Math.cos(maxLat * RAD);
  const dLon = cos < 1e-6 ? 180 : Math.min(180, dLat / cos);
  return { dLat, dLon };
}
