/**
 * Chooses the place catalog: the file catalog when `PLACES_FILE` names a file, else the sample
 * catalog. Bad rows of the file are returned, not thrown, so the service can log them and start.
 */
import type { PlaceCatalog } from './catalog.js';
import { loadPlacesFile } from './file-catalog.js';
import type { LatLon } from './geo.js';
import type { City } from './gazetteer.js';
import type { RowIssue } from './place-rows.js';
import { SampleCatalog } from './sample-catalog.js';

export const PLACES_FILE_ENV = 'PLACES_FILE';

/** The trimmed `PLACES_FILE`, or undefined when it is unset or blank. */
export function placesFileFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const value = env[PLACES_FILE_ENV]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export async function openCatalog(options: {
  readonly placesFile: string | undefined;
  /** Used by the sample catalog to find the city of a query point. */
  readonly cities: { reverse(point: LatLon): City };
}): Promise<{ catalog: PlaceCatalog; issues: readonly RowIssue[] }> {
  if (options.placesFile === undefined)
    return { catalog: new SampleCatalog(options.cities), issues: [] };
  return loadPlacesFile(options.placesFile);
}
