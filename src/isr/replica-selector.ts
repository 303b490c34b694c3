// Follower fetching for consumers (KIP-392): with replica.selector.class set to Kafka's rack-aware selector, a
// leader tells a consumer in another rack to read from an in-sync replica in the consumer's own rack (the
// preferred read replica), saving cross-rack traffic. Only ISR members that hold the fetch offset qualify (a
// lagging follower would hold the consumer back indefinitely); among them the most caught-up one wins. The leader
// itself is never "preferred": when it is in the client's rack, or no replica is, the consumer stays.

import type { Partition } from './partition';

export const RACK_AWARE_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
export const LEADER_SELECTOR = 'org.apache.kafka.common.replica.LeaderSelector';

/**
 * The replica a consumer in `clientRack` should read `p` from instead of this leader, or -1 to stay here.
 * @param rackOf a live broker's rack (null when it has none), undefined when it is not registered or fenced
 */
export function preferredReadReplica(
  p: Partition,
  selfId: number,
  clientRack: string,
  fetchOffset: number,
  rackOf: (brokerId: number) => string | null | undefined,
): number {
  if (clientRack === '' || rackOf(selfId) === clientRack) return -1;
  let best = -1;
  let bestEnd = -1;
  let bestCaughtUp = -1;
  for (const id of p.isr) {
    if (id === selfId || rackOf(id) !== clientRack) continue;
    const f = p.followers.get(id);
    if (!f || f.logEndOffset < fetchOffset || f.logStartOffset > fetchOffset) continue;
    if (f.logEndOffset > bestEnd || (f.logEndOffset === bestEnd && f.lastCaughtUpTimeMs > bestCaughtUp)) {
      best = id;
      bestEnd = f.logEndOffset;
      bestCaughtUp = f.lastCaughtUpTimeMs;
    }
  }
  return best;
}
