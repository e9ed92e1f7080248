/** The planner's job type names: one constant each, used by every submit, handler and pool. */
export const PLANNING_JOB_TYPE = 'Planning';
export const ANALYTICS_JOB_TYPE = 'Analytics';
/** One live place provider call (a category around a point), limited by the library: place-fetch.ts. */
export const PLACE_FETCH_JOB_TYPE = 'PlaceFetch';
