/**
 * The Planning job's params: the resolved request (`ResolvedPlanning`: the validated request,
 * the city, the search centre, the nearby cities and the cache key), computed once per HTTP
 * request by the planning service. Params cross processes through the job backend, so the
 * handler checks them before use: `decodePlanningJobParams` rebuilds the request through
 * `parsePlanningRequest` and checks the resolution's fields, naming the first bad one.
 */
import { invalidField } from '../errors.js';
import { isValidLatLon } from '../places/geo.js';
import type { City } from '../places/gazetteer.js';
import type { ResolvedPlanning } from './planner.js';
import { parsePlanningRequest, toPlanningParams, type PlanningRequest } from './request.js';

export type PlanningJobParams = ResolvedPlanning;

const CITY_FIELDS: Readonly<Record<keyof City, 'string' | 'number'>> = {
  id: 'number',
  name: 'string',
  country: 'string',
  countryName: 'string',
  adminCode: 'string',
  population: 'number',
  lat: 'number',
  lon: 'number',
  label: 'string',
};

export function decodePlanningJobParams(value: unknown): PlanningJobParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidField(
      'params',
      'a resolved planning request (PlanningService resolves one)',
      value,
    );
  }
  const params = value as Record<string, unknown>;
  const request = decodeRequest(params.request);
  const city = decodeCity('params.city', params.city);
  const center = params.center as { lat?: unknown; lon?: unknown } | undefined;
  if (typeof center !== 'object' || center === null || !isValidLatLon(center.lat, center.lon)) {
    throw invalidField('params.center', '{ lat: -90..90, lon: -180..180 }', params.center);
  }
  if (typeof params.precise !== 'boolean') {
    throw invalidField('params.precise', 'true or false', params.precise);
  }
  if (!Array.isArray(params.nearbyCities)) {
    throw invalidField('params.nearbyCities', 'an array of cities', params.nearbyCities);
  }
  const nearbyCities = params.nearbyCities.map((c: unknown, i) =>
    decodeCity(`params.nearbyCities[${i}]`, c),
  );
  if (typeof params.key !== 'string' || !params.key.startsWith('plans:')) {
    throw invalidField('params.key', 'a solution cache key "plans:..."', params.key);
  }
  return {
    request,
    city,
    center: { lat: center.lat as number, lon: center.lon as number },
    precise: params.precise,
    nearbyCities,
    key: params.key,
  };
}

function decodeRequest(value: unknown): PlanningRequest {
  if (typeof value !== 'object' || value === null) {
    throw invalidField('params.request', 'a planning request', value);
  }
  const raw = value as PlanningRequest;
  if (typeof raw.location !== 'object' || raw.location === null) {
    throw invalidField('params.request.location', 'a place or a point', raw.location);
  }
  const request = parsePlanningRequest(toPlanningParams(raw));
  if (request.weekday !== raw.weekday) {
    throw invalidField('params.request.weekday', `the weekday of ${request.date}`, raw.weekday);
  }
  return request;
}

function decodeCity(field: string, value: unknown): City {
  if (typeof value !== 'object' || value === null) throw invalidField(field, 'a city', value);
  const city = value as Record<string, unknown>;
  for (const [name, type] of Object.entries(CITY_FIELDS)) {
    if (typeof city[name] !== type) throw invalidField(`${field}.${name}`, `a ${type}`, city[name]);
  }
  return city as unknown as City;
}
