/**
 * `@video-gallery/core/bullmq`: run gallery jobs on any number of worker processes through BullMQ on Redis, and carry
 * gallery events between processes over Redis pub/sub. `bullmq` and `ioredis` are optional peer dependencies.
 */
export { bullmqRunner } from './runner.js';
export type { BullmqRunner, BullmqRunnerOptions, BullmqRole, StepJobData } from './runner.js';
export { createRedisEventBridge } from './event-bridge.js';
export type { RedisEventBridge, RedisEventBridgeOptions, BridgedEvent } from './event-bridge.js';
export type { RedisConnectionInput } from './redis.js';
