import type { Scenario } from '../lib.js';
import { policyScenario } from './policy.js';
import { resolveScenario } from './resolve.js';
import { startupScenario } from './startup.js';
import { updateScenario } from './update.js';
import { verifyScenario } from './verify.js';
import { webhookScenario } from './webhook.js';

/** Every benchmark scenario, in the order `npm run bench` runs them. Add yours here. */
export const scenarios: Scenario[] = [
  startupScenario,
  resolveScenario,
  verifyScenario,
  policyScenario,
  updateScenario,
  webhookScenario,
];
