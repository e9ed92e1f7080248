/**
 * The backend contract suite's entry point: `runBackendContract({ name, make })` runs every part
 * against one backend (see `harness.ts` for what `make` receives).
 */
import { adminContract } from './admin.contract.js';
import { claimContract } from './claim.contract.js';
import { controlsContract } from './controls.contract.js';
import { eventLogContract } from './event-log.contract.js';
import { type BackendSubject, describeBackend } from './harness.js';
import { listCountsContract } from './list-counts.contract.js';
import { pauseContract } from './pause.contract.js';
import { retentionContract } from './retention.contract.js';
import { scheduledContract } from './scheduled.contract.js';

export type { BackendSubject, BackendSubjectOptions } from './harness.js';

export function runBackendContract(subject: BackendSubject): void {
  describeBackend(subject, [
    claimContract,
    scheduledContract,
    retentionContract,
    listCountsContract,
    adminContract,
    pauseContract,
    controlsContract,
    eventLogContract,
  ]);
}
