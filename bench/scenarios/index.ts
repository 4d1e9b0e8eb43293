import type { Scenario } from '../lib.js';
import { verifyScenario } from './verify.js';

/** Every benchmark scenario, in the order `npm run bench` runs them. Add yours here. */
export const scenarios: Scenario[] = [verifyScenario];
