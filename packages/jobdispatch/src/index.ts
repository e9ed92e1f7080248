/**
 * jobdispatch: a priority job dispatcher. Everything public is exported here and only here;
 * anything not exported from this file may change without notice.
 */
export {
  MAX_STACK_BYTES,
  JobPriority,
  JobStatus,
  createJob,
  isFinalStatus,
  normalizePriority,
  type Job,
  type JobError,
  type JobProgress,
  type JobSpec,
} from './job.js';
export {
  DispatchError,
  UnrecoverableError,
  isDispatchError,
  type DispatchErrorCode,
} from './errors.js';
export { DEFAULT_RETENTION } from './retention.js';
export {
  DEFAULT_CAPACITY_PER_LEVEL,
  PriorityJobQueue,
  type PriorityJobQueueOptions,
  type QueueStats,
} from './priority-queue.js';
export {
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_STUCK_AFTER_MS,
  type Backoff,
  type HandlerOptions,
  type JobContext,
  type JobHandler,
  type RateLimit,
} from './handler.js';
export {
  SCHEDULE_REFRESH_MS,
  type ScheduleInfo,
  type ScheduleOptions,
  type ScheduleTimer,
} from './schedules.js';
export {
  compareEventIds,
  isFinalEvent,
  type FinalJobEvent,
  type GapEvent,
  type NewJobEvent,
  type SnapshotEvent,
  type StreamEvent,
  type WatchEvent,
  type JobEvent,
  type JobEventFields,
  type JobEventListener,
  type JobEventOf,
  type JobEventType,
} from './events.js';
export {
  defineJob,
  defineJobs,
  type AnyJobDefinition,
  type DefinedJobHandler,
  type DefinedJobSpec,
  type JobDefinition,
  type ParamsOf,
  type ResultOf,
} from './define-job.js';
export {
  DEFAULT_DEDUP_TTL_MS,
  LIST_STATUS_ORDER,
  type Backend,
  type CancelOutcome,
  type Claim,
  type ClaimRequest,
  type ImmediateBackend,
  type JobCounts,
  type JobPage,
  type ListQuery,
  type ListRequest,
  type ListableStatus,
  type Outcome,
  type PausedState,
  type RenewResult,
  type ResolvedRetention,
  type RetentionOptions,
  type RetentionRule,
  type StoredSchedule,
  type SubmitResult,
  type TypeLimits,
} from './backend.js';
export { MemoryBackend, type MemoryBackendOptions, type SetTimer } from './backends/memory.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_QUEUE,
  DEFAULT_REDIS_URL,
  RedisBackend,
  type RedisBackendOptions,
  type RedisConnection,
} from './backends/redis/index.js';
export {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  DEFAULT_STOP_TIMEOUT_MS,
  DEFAULT_WORKERS,
  Dispatcher,
  type DispatcherOptions,
  type StopOptions,
} from './dispatcher.js';
export type { WaitOptions } from './outcomes.js';
export {
  DEFAULT_EVENT_MAX_COUNT,
  type EventLogOptions,
  type EventPage,
  type JobSnapshot,
} from './event-log.js';
export { DEFAULT_EVENT_BUFFER, type EventsOptions, type WatchOptions } from './event-stream.js';
export {
  DEFAULT_GRACE_MS,
  threadedHandler,
  type ThreadPoolStats,
  type ThreadedHandler,
  type ThreadedHandlerOptions,
} from './threads/threaded-handler.js';
export { threadData } from './threads/thread-data.js';
export {
  WAIT_WINDOW_SIZE,
  type DispatcherStats,
  type LevelStats,
  type TypeStats,
  type WaitStats,
} from './stats.js';
