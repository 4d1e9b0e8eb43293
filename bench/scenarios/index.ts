import type { Scenario } from '../lib.js';

/** Every benchmark scenario, in the order `npm run bench` runs them. Add yours here. */
export const scenarios: Scenario[] = [];
