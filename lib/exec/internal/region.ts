/** The region of an ECS client, for records and messages. */
import type { ECSClient } from '@aws-sdk/client-ecs';

/** The region `ecs` is configured for; undefined when it has none (the SDK would throw). */
export async function regionOf(ecs: ECSClient): Promise<string | undefined> {
  try {
    return await ecs.config.region();
  } catch {
    return undefined;
  }
}
