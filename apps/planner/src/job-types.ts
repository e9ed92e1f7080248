/** The planner's job type names: one constant each, used by every submit, handler and pool. */
export const PLANNING_JOB_TYPE = 'Planning';
export const ANALYTICS_JOB_TYPE = 'Analytics';
