import type { ClusterFaults } from '../cluster-file.ts';
import type { AwsExecErrorName, EcsOperation } from './types.ts';

/**
 * The live fault state of the local ECS API: the cluster file's faults, changes made at
 * runtime, and the clocks and counters some faults need.
 */

/** A one-shot error injected with `failNext`. */
export interface InjectedError {
  readonly operation: EcsOperation;
  readonly error: AwsExecErrorName;
  readonly message: string;
  remaining: number;
}

/** Mutable fault state; the API's fault controls and operations share one instance. */
export class FaultState {
  private readonly initial: ReadonlyMap<string, ClusterFaults>;
  private current: Map<string, ClusterFaults>;
  /** Epoch ms of each task's first ExecuteCommand that reached the connection check. */
  private readonly firstExecAt = new Map<string, number>();
  /** Epoch ms of the accepted ExecuteCommand calls of the last second, per cluster. */
  private readonly recentExecs = new Map<string, number[]>();
  private injected: InjectedError[] = [];

  constructor(initial: ReadonlyMap<string, ClusterFaults>) {
    this.initial = initial;
    this.current = new Map(initial);
  }

  get(cluster: string): ClusterFaults | undefined {
    return this.current.get(cluster);
  }

  set(cluster: string, faults: ClusterFaults): void {
    const before = this.current.get(cluster);
    this.current.set(cluster, faults);
    // A new window means "from now on": the tasks' clocks restart at their next call.
    if (before?.targetNotConnectedForMs !== faults.targetNotConnectedForMs) this.firstExecAt.clear();
    if (before?.throttle?.perSecond !== faults.throttle?.perSecond) this.recentExecs.delete(cluster);
  }

  reset(): void {
    this.current = new Map(this.initial);
    this.firstExecAt.clear();
    this.recentExecs.clear();
    this.injected = [];
  }

  inject(error: InjectedError): void {
    this.injected.push(error);
  }

  /** The injected error due for this call of `operation`, if any (consumes one). */
  takeInjected(operation: EcsOperation): InjectedError | undefined {
    const hit = this.injected.find((e) => e.operation === operation && e.remaining > 0);
    if (!hit) return undefined;
    hit.remaining--;
    if (hit.remaining === 0) this.injected = this.injected.filter((e) => e !== hit);
    return hit;
  }

  /** Whether an ExecuteCommand on `cluster` at `nowMs` is over the rate; records it when not. */
  throttled(cluster: string, nowMs: number): boolean {
    const limit = this.current.get(cluster)?.throttle;
    if (!limit) return false;
    // A sliding window; a fractional rate such as 0.5/s allows one call per 2 s.
    const windowMs = limit.perSecond >= 1 ? 1000 : 1000 / limit.perSecond;
    const allowed = Math.max(1, Math.floor(limit.perSecond));
    const recent = (this.recentExecs.get(cluster) ?? []).filter((t) => t > nowMs - windowMs);
    if (recent.length >= allowed) {
      this.recentExecs.set(cluster, recent);
      return true;
    }
    recent.push(nowMs);
    this.recentExecs.set(cluster, recent);
    return false;
  }

  /** Whether `taskId` is still inside its not-connected window at `nowMs`. */
  notConnected(cluster: string, taskId: string, nowMs: number): boolean {
    const window = this.current.get(cluster)?.targetNotConnectedForMs ?? 0;
    if (window <= 0) return false;
    let first = this.firstExecAt.get(taskId);
    if (first === undefined) {
      first = nowMs;
      this.firstExecAt.set(taskId, first);
    }
    return nowMs - first < window;
  }
}
