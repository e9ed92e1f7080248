/**
 * The dispatcher contract: every backend runs these same tests
 * (`runDispatcherContract('MemoryBackend', (options) => new MemoryBackend(options))`). A behaviour
 * that differs between backends is a bug.
 */
import { describe } from 'node:test';
import { dedupAndCancelContract } from './dedup-cancel.contract.js';
import { definedJobsContract } from './defined-jobs.contract.js';
import { eventLogContract } from './event-log.contract.js';
import { type MakeBackend, createHarness } from './harness.js';
import { progressAndSettingsContract } from './progress-settings.contract.js';
import { limitsContract } from './limits.contract.js';
import { recordsContract } from './records.contract.js';
import { schedulesContract } from './schedules.contract.js';
import { statsAndShutdownContract } from './stats-shutdown.contract.js';
import { storeOpsContract } from './store-ops.contract.js';
import { timeoutsContract } from './timeouts.contract.js';
import { waitOptionsContract } from './wait-options.contract.js';

export type { BackendOptions, MakeBackend } from './harness.js';

export function runDispatcherContract(label: string, makeBackend: MakeBackend): void {
  describe(`Dispatcher contract: ${label}`, () => {
    const harness = createHarness(makeBackend);
    recordsContract(harness);
    dedupAndCancelContract(harness);
    progressAndSettingsContract(harness);
    statsAndShutdownContract(harness);
    storeOpsContract(harness);
    timeoutsContract(harness);
    waitOptionsContract(harness);
    definedJobsContract(harness);
    eventLogContract(harness);
    schedulesContract(harness);
    limitsContract(harness);
  });
}
