/**
 * Generates a city's sample places: plausible visits and eateries around the city centre, from a
 * generator seeded by the city alone. The same city gives the same places (ids, names, positions,
 * ratings, prices, hours) in every run and on every machine: the generator is seeded integer
 * arithmetic, the only transcendental math (log10 of the population, cos of the latitude) is
 * applied to the city's own numbers, and coordinates are rounded to 1e-6 degree.
 */
import { METRES_PER_DEGREE } from './geo.js';
import type { City } from './gazetteer.js';
import {
  parseDayHours,
  type Place,
  type PlaceCategory,
  type PriceLevel,
  type WeeklyHours,
} from './place.js';
import { hashString, seededRandom, type Random } from './seeded-random.js';

/** Bumped whenever generation changes, so cached results of older sample data never match. */
export const SAMPLE_GENERATION = 1;

interface Kind {
  /** Name template: {prefix}, {city}, {word}, {cuisine}. */
  readonly names: readonly string[];
  readonly prices: readonly PriceLevel[];
  /** Hours per weekday, Sunday first, in the file format. */
  readonly hours: readonly (readonly string[])[];
}

const EVERY_DAY = (text: string): string[] => Array.from({ length: 7 }, () => text);
const CLOSED_ON = (day: number, text: string): string[] =>
  Array.from({ length: 7 }, (_, d) => (d === day ? 'closed' : text));

const VISIT_KINDS: readonly Kind[] = [
  {
    names: ['{prefix} Park', '{prefix} Gardens', '{word} Green'],
    prices: [0],
    hours: [EVERY_DAY('06:00-21:00')],
  },
  {
    names: ['{prefix} Square', '{word} Plaza', 'Old Town Walk'],
    prices: [0],
    hours: [EVERY_DAY('00:00-24:00')],
  },
  {
    names: [
      '{city} Museum of Art',
      '{prefix} History Museum',
      'Museum of {word}',
      '{prefix} Science Center',
    ],
    prices: [1, 2, 2, 3],
    hours: [CLOSED_ON(1, '10:00-17:00'), CLOSED_ON(2, '10:00-18:00'), EVERY_DAY('09:30-17:30')],
  },
  {
    names: ['{prefix} Gallery', '{word} Arts Collective'],
    prices: [0, 1],
    hours: [CLOSED_ON(0, '11:00-19:00')],
  },
  {
    names: ['{prefix} Cathedral', 'Church of St. {word}', '{prefix} Abbey'],
    prices: [0, 1],
    hours: [EVERY_DAY('08:00-18:00')],
  },
  {
    names: ['{prefix} Market', '{word} Market Hall'],
    prices: [0, 1],
    hours: [CLOSED_ON(0, '08:00-14:00'), EVERY_DAY('09:00-19:00')],
  },
  {
    names: ['{city} Zoo', '{prefix} Aquarium', '{prefix} Botanical Garden'],
    prices: [2, 3],
    hours: [EVERY_DAY('09:00-17:00')],
  },
  {
    names: ['{prefix} Castle', '{word} Palace', '{prefix} Observatory', '{word} Tower'],
    prices: [1, 2, 3],
    hours: [EVERY_DAY('10:00-18:00'), CLOSED_ON(1, '09:00-17:00')],
  },
  {
    names: ['{prefix} Viewpoint', '{word} Lookout', '{prefix} Waterfront'],
    prices: [0],
    hours: [EVERY_DAY('00:00-24:00')],
  },
  {
    names: ['{prefix} Library', '{city} Archives'],
    prices: [0],
    hours: [CLOSED_ON(0, '09:00-20:00')],
  },
];

const EATERY_KINDS: readonly Kind[] = [
  {
    names: ['{word} Food Truck', '{cuisine} Street Kitchen', '{word} Stall'],
    prices: [0, 1],
    hours: [EVERY_DAY('11:00-20:30')],
  },
  {
    names: ['{word} Café', '{word} Bakery', '{prefix} Coffee House'],
    prices: [1],
    hours: [EVERY_DAY('07:00-15:00'), EVERY_DAY('07:30-19:00')],
  },
  {
    names: ['{word} Diner', '{cuisine} Noodle Bar', '{word} Taqueria', '{word} Deli'],
    prices: [1, 1, 2],
    hours: [EVERY_DAY('10:30-21:30'), CLOSED_ON(1, '11:00-22:00')],
  },
  {
    names: [
      '{word} Bistro',
      '{cuisine} Kitchen',
      '{word} Grill',
      '{word} Trattoria',
      '{cuisine} Izakaya',
    ],
    prices: [2, 2, 3],
    hours: [
      CLOSED_ON(1, '11:30-14:30, 17:30-22:00'),
      EVERY_DAY('11:00-23:00'),
      CLOSED_ON(0, '12:00-15:00, 18:00-23:00'),
    ],
  },
  {
    names: ['{word} Brasserie', '{cuisine} House', '{prefix} Tavern'],
    prices: [2, 3],
    hours: [EVERY_DAY('11:30-23:00')],
  },
  {
    names: ['{word} Dining Room', '{prefix} Steakhouse', 'Chez {word}', '{cuisine} Tasting Room'],
    prices: [3, 4, 4],
    hours: [CLOSED_ON(1, '12:00-14:30, 18:00-23:00'), CLOSED_ON(0, '17:30-23:30')],
  },
];

const PREFIXES = [
  'Old Town',
  'Riverside',
  'Central',
  'North End',
  'Harbor',
  'Heritage',
  'Hillside',
  'Lakeside',
  'Eastgate',
  'West End',
  'Union',
  'Market Street',
  'Cathedral Quarter',
  'Garden District',
  'Midtown',
];
const WORDS = [
  'Willow',
  'Juniper',
  'Copper',
  'Lantern',
  'Saffron',
  'Cedar',
  'Harbor',
  'Maple',
  'Olive',
  'Amber',
  'Ivy',
  'Silver',
  'Marigold',
  'Fig',
  'Linden',
  'Bluebell',
  'Granite',
  'Clover',
  'Sparrow',
  'Hazel',
  'Wren',
  'Orchard',
  'Meridian',
  'Beacon',
];
const CUISINES = [
  'Thai',
  'Sichuan',
  'Neapolitan',
  'Basque',
  'Oaxacan',
  'Lebanese',
  'Korean',
  'Ethiopian',
  'Provençal',
  'Peruvian',
  'Punjabi',
  'Cantonese',
  'Greek',
  'Vietnamese',
  'Georgian',
  'Sicilian',
];
const STREETS = [
  'Oak Street',
  'Main Street',
  'Market Street',
  'River Road',
  'Church Lane',
  'Station Road',
  'Park Avenue',
  'Mill Lane',
  'High Street',
  'King Street',
  'Garden Row',
  'Bridge Street',
  'Elm Avenue',
  'Harbor Way',
  'Castle Hill',
];

/** Both categories of a city's sample places, visits first. */
export function generateSamplePlaces(city: City): Place[] {
  const random = seededRandom(
    hashString(`sample-places/${SAMPLE_GENERATION}/${city.id}/${city.name}/${city.country}`),
  );
  // Size 0 for a town of 1,000, 3 for a city of a million, capped at 4.5.
  const size = Math.min(4.5, Math.max(0, Math.log10(Math.max(city.population, 1000) / 1000)));
  const spreadM = Math.min(12_000, 1500 + 2500 * size);
  const cosLat = Math.max(0.01, Math.cos((city.lat * Math.PI) / 180));
  const usedNames = new Set<string>();
  const make = (category: PlaceCategory, kinds: readonly Kind[], count: number): Place[] =>
    Array.from({ length: count }, (_, i) => {
      const kind = random.pick(kinds);
      const offset = discOffset(random, spreadM);
      return {
        id: `sample-${city.id}-${category === 'Visit' ? 'v' : 'e'}${i + 1}`,
        name: uniqueName(random, kind, city, usedNames),
        category,
        lat: round6(city.lat + offset.north / METRES_PER_DEGREE),
        lon: round6(wrapLon(city.lon + offset.east / (METRES_PER_DEGREE * cosLat))),
        address: `${random.int(1, 480)} ${random.pick(STREETS)}, ${city.name}`,
        priceLevel: random.pick(kind.prices),
        ...ratingOf(random),
        hours: weeklyHours(random.pick(kind.hours)),
        url: `https://example.com/sample-places/${city.id}/${category.toLowerCase()}-${i + 1}`,
      };
    });
  return [
    ...make('Visit', VISIT_KINDS, Math.round(20 + 18 * size)),
    ...make('Eatery', EATERY_KINDS, Math.round(30 + 30 * size)),
  ];
}

/** A point in a disc of radius `spreadM`, denser towards the centre, as metres north and east. */
function discOffset(random: Random, spreadM: number): { north: number; east: number } {
  let x = 0;
  let y = 0;
  do {
    x = random.next() * 2 - 1;
    y = random.next() * 2 - 1;
  } while (x * x + y * y > 1);
  const scale = spreadM * (0.2 + 0.8 * random.next());
  return { north: y * scale, east: x * scale };
}

/** Ratings cluster around 4.2; a few places have no ratings at all (the solver skips those). */
function ratingOf(random: Random): { rating: number; ratingsCount: number } {
  if (random.next() < 0.04) return { rating: 0, ratingsCount: 0 };
  const rating = Math.min(5, Math.max(2.5, Math.round((4.2 + random.normal() * 0.4) * 10) / 10));
  const u = random.next();
  return { rating, ratingsCount: 3 + Math.floor(u * u * u * 20_000) };
}

function uniqueName(random: Random, kind: Kind, city: City, used: Set<string>): string {
  let name = '';
  for (let attempt = 0; attempt < 8; attempt++) {
    name = random
      .pick(kind.names)
      .replace('{prefix}', random.pick(PREFIXES))
      .replace('{word}', random.pick(WORDS))
      .replace('{cuisine}', random.pick(CUISINES))
      .replace('{city}', city.name);
    if (!used.has(name)) break;
  }
  for (let n = 2; used.has(name); n++) name = `${name.replace(/ \d+$/, '')} ${n}`;
  used.add(name);
  return name;
}

function weeklyHours(days: readonly string[]): WeeklyHours {
  const parsed = days.map((text) => {
    const ranges = parseDayHours(text);
    if (typeof ranges === 'string') throw new Error(`sample hours ${ranges}`);
    return ranges;
  });
  const [sun = [], mon = [], tue = [], wed = [], thu = [], fri = [], sat = []] = parsed;
  return [sun, mon, tue, wed, thu, fri, sat];
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function wrapLon(lon: number): number {
  return lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon;
}
