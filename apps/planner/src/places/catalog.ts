/**
 * The place provider seam: where the solver's candidate places come from. A provider answers one
 * question, "the places of this category within this radius of this point", and says what its
 * data is, so that every result computed from sample data is labelled as such. Four implement it:
 * the sample catalog (default), the file catalog (`PLACES_FILE`), OpenStreetMap through the
 * Overpass API and Google Places (New); `PLACES_PROVIDER` chooses (see open-provider.ts).
 */
import type { LatLon } from './geo.js';
import type { Place, PlaceCategory } from './place.js';

export interface CatalogQuery {
  readonly category: PlaceCategory;
  readonly center: LatLon;
  readonly radiusMeters: number;
  /** The job's signal: a live provider stops its call (or its wait for a shared one) on abort. */
  readonly signal?: AbortSignal;
}

/** What a catalog's places are; `id` changes whenever the data does (it is part of cache keys). */
export type DataSource =
  | { readonly kind: 'sample'; readonly id: string; readonly notice: string }
  | { readonly kind: 'file'; readonly id: string; readonly name: string }
  | { readonly kind: 'live'; readonly id: string; readonly name: LiveProviderName };

/** The live providers, by the name `PLACES_PROVIDER` gives them. */
export type LiveProviderName = 'overpass' | 'google';
export type ProviderName = 'sample' | 'file' | LiveProviderName;
export const PROVIDER_NAMES: readonly ProviderName[] = ['sample', 'file', 'overpass', 'google'];

export interface PlaceProvider {
  readonly source: DataSource;
  /** The places of `category` within `radiusMeters` of `center`, in no particular order. */
  placesNear(query: CatalogQuery): Promise<readonly Place[]>;
}

/** The label carried by every result computed from the sample catalog. */
export const SAMPLE_DATA_NOTICE =
  'Sample data: these places are generated for demonstration and do not exist. ' +
  'Set PLACES_PROVIDER (overpass, google, file) to plan with real places.';
