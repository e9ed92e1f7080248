/**
 * Names of countries and first-level admin areas, for reading "San Jose, CA, USA" or "Paris,
 * France". The gazetteer stores only ISO country codes and admin codes, so names come from here:
 * country names from the runtime's ICU data (`Intl.DisplayNames`) plus common aliases, and admin
 * area names for the countries whose codes people write by name (US states, Canadian provinces,
 * Australian states, the UK's nations). Everything is keyed by `normalizeName`.
 */
import { editDistance, normalizeName } from './names.js';

/** Aliases that `Intl.DisplayNames` does not produce, to ISO 3166-1 alpha-2. */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = {
  usa: 'US',
  'united states of america': 'US',
  america: 'US',
  uk: 'GB',
  gbr: 'GB',
  'great britain': 'GB',
  britain: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  deu: 'DE',
  fra: 'FR',
  jpn: 'JP',
  chn: 'CN',
  ita: 'IT',
  esp: 'ES',
  can: 'CA',
  aus: 'AU',
  mex: 'MX',
  bra: 'BR',
  ind: 'IN',
  rus: 'RU',
  korea: 'KR',
  'republic of korea': 'KR',
  'north korea': 'KP',
  turkey: 'TR',
  'czech republic': 'CZ',
  'ivory coast': 'CI',
  burma: 'MM',
  macedonia: 'MK',
  holland: 'NL',
  'the netherlands': 'NL',
  'dr congo': 'CD',
  'democratic republic of the congo': 'CD',
  'republic of the congo': 'CG',
  vatican: 'VA',
  palestine: 'PS',
  'hong kong': 'HK',
  macau: 'MO',
  macao: 'MO',
  uae: 'AE',
  swaziland: 'SZ',
  'cape verde': 'CV',
  'east timor': 'TL',
};

/** Admin areas by country: code as stored in the gazetteer, then the names people use. */
// prettier-ignore
const ADMIN_AREAS: Readonly<Record<string, readonly (readonly [string, ...string[]])[]>> = {
  US: [
    ['AL', 'Alabama'], ['AK', 'Alaska'], ['AZ', 'Arizona'], ['AR', 'Arkansas'],
    ['CA', 'California'], ['CO', 'Colorado'], ['CT', 'Connecticut'], ['DE', 'Delaware'],
    ['DC', 'District of Columbia', 'Washington DC'], ['FL', 'Florida'], ['GA', 'Georgia'],
    ['HI', 'Hawaii'], ['ID', 'Idaho'], ['IL', 'Illinois'], ['IN', 'Indiana'], ['IA', 'Iowa'],
    ['KS', 'Kansas'], ['KY', 'Kentucky'], ['LA', 'Louisiana'], ['ME', 'Maine'],
    ['MD', 'Maryland'], ['MA', 'Massachusetts'], ['MI', 'Michigan'], ['MN', 'Minnesota'],
    ['MS', 'Mississippi'], ['MO', 'Missouri'], ['MT', 'Montana'], ['NE', 'Nebraska'],
    ['NV', 'Nevada'], ['NH', 'New Hampshire'], ['NJ', 'New Jersey'], ['NM', 'New Mexico'],
    ['NY', 'New York'], ['NC', 'North Carolina'], ['ND', 'North Dakota'], ['OH', 'Ohio'],
    ['OK', 'Oklahoma'], ['OR', 'Oregon'], ['PA', 'Pennsylvania'], ['RI', 'Rhode Island'],
    ['SC', 'South Carolina'], ['SD', 'South Dakota'], ['TN', 'Tennessee'], ['TX', 'Texas'],
    ['UT', 'Utah'], ['VT', 'Vermont'], ['VA', 'Virginia'], ['WA', 'Washington'],
    ['WV', 'West Virginia'], ['WI', 'Wisconsin'], ['WY', 'Wyoming'],
  ],
  CA: [
    ['01', 'AB', 'Alberta'], ['02', 'BC', 'British Columbia'], ['03', 'MB', 'Manitoba'],
    ['04', 'NB', 'New Brunswick'], ['05', 'NL', 'Newfoundland and Labrador', 'Newfoundland'],
    ['07', 'NS', 'Nova Scotia'], ['08', 'ON', 'Ontario'], ['09', 'PE', 'Prince Edward Island'],
    ['10', 'QC', 'Quebec'], ['11', 'SK', 'Saskatchewan'], ['12', 'YT', 'Yukon'],
    ['13', 'NT', 'Northwest Territories'], ['14', 'NU', 'Nunavut'],
  ],
  AU: [
    ['01', 'ACT', 'Australian Capital Territory'], ['02', 'NSW', 'New South Wales'],
    ['03', 'NT', 'Northern Territory'], ['04', 'QLD', 'Queensland'], ['05', 'SA', 'South Australia'],
    ['06', 'TAS', 'Tasmania'], ['07', 'VIC', 'Victoria'], ['08', 'WA', 'Western Australia'],
  ],
  GB: [['ENG', 'England'], ['SCT', 'Scotland'], ['WLS', 'Wales'], ['NIR', 'Northern Ireland']],
};

export interface CountryIndex {
  /** ISO alpha-2 code for a country name, alias or code; undefined when unknown. */
  codeOf(text: string): string | undefined;
  /** The English name of a country code ("FR" -> "France"). */
  nameOf(code: string): string;
  /** Up to three country names close to `text` (for an unknown country), closest first. */
  suggest(text: string): string[];
}

/** Builds the country index for the codes present in the gazetteer. */
export function buildCountryIndex(codes: Iterable<string>): CountryIndex {
  const display = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const byName = new Map<string, string>();
  const names = new Map<string, string>();
  for (const code of codes) {
    const name = safeDisplayName(display, code);
    names.set(code, name);
    byName.set(normalizeName(code), code);
    byName.set(normalizeName(name), code);
    // "Myanmar (Burma)" and "Hong Kong SAR China" are also written without their qualifiers.
    const bare = name.replace(/\s*\(.*\)\s*/, '').replace(/\s+SAR China$/, '');
    if (bare !== name) byName.set(normalizeName(bare), code);
  }
  for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) {
    if (names.has(code)) byName.set(normalizeName(alias), code);
  }
  return {
    codeOf: (text) => byName.get(normalizeName(text)),
    nameOf: (code) => names.get(code) ?? code,
    suggest: (text) => {
      const target = normalizeName(text);
      return [...names.values()]
        .map((name) => ({ name, distance: editDistance(target, normalizeName(name), 3) }))
        .filter((entry) => entry.distance <= 3)
        .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name, 'en'))
        .slice(0, 3)
        .map((entry) => entry.name);
    },
  };
}

function safeDisplayName(display: Intl.DisplayNames, code: string): string {
  try {
    return display.of(code) ?? code;
  } catch {
    return code; // a code ICU rejects (not two letters) is shown as is
  }
}

/**
 * The admin codes that `text` can mean: a named area of a country in the table above, or the
 * gazetteer's raw code (as written, upper-cased). With `country` undefined every table is tried.
 */
export function adminCodesFor(text: string, country: string | undefined): AdminMatch[] {
  const key = normalizeName(text);
  const matches: AdminMatch[] = [];
  const countries = country === undefined ? Object.keys(ADMIN_AREAS) : [country];
  for (const c of countries) {
    for (const [code, ...aliases] of ADMIN_AREAS[c] ?? []) {
      if ([code, ...aliases].some((name) => normalizeName(name) === key)) {
        matches.push({ country: c, adminCode: code });
      }
    }
  }
  return matches;
}

export interface AdminMatch {
  readonly country: string;
  readonly adminCode: string;
}

/** True when the country has a table of admin names: an unknown admin there is an error. */
export function hasAdminNames(country: string): boolean {
  return ADMIN_AREAS[country] !== undefined;
}

/** The short form used when displaying a city: the state code in the US, else the admin code. */
export function adminLabel(country: string, adminCode: string): string {
  const row = ADMIN_AREAS[country]?.find(([code]) => code === adminCode);
  if (row === undefined) return adminCode;
  return country === 'CA' || country === 'AU' ? (row[1] ?? adminCode) : row[0];
}
