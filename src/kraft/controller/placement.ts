// Replica placement for new partitions: leaders spread round-robin over the brokers from a random start, followers
// on the following brokers with a per-round shift, as Kafka places them. With broker.rack set, brokers are
// interleaved by rack first so consecutive replicas land on different racks.

export interface PlacementBroker {
  id: number;
  rack: string | null;
}

/** Orders brokers so that walking the list alternates racks (rack-aware placement's broker list). */
export function rackAlternatedOrder(brokers: PlacementBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    let list = byRack.get(rack);
    if (!list) byRack.set(rack, (list = []));
    list.push(b.id);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const list = byRack.get(r)!;
      if (i < list.length) out.push(list[i]!);
    }
  }
  return out;
}

/**
 * Assigns `replicationFactor` replicas for partitions [firstPartition, firstPartition + count).
 * `random` is injectable so tests are deterministic.
 */
export function placeReplicas(
  brokers: PlacementBroker[],
  count: number,
  replicationFactor: number,
  firstPartition = 0,
  random: () => number = Math.random,
): number[][] {
  const ids = brokers.some((b) => b.rack !== null) ? rackAlternatedOrder(brokers) : brokers.map((b) => b.id).sort((a, b) => a - b);
  const n = ids.length;
  if (n === 0 || replicationFactor > n) throw new Error('not enough brokers');
  const start = Math.floor(random() * n);
  let shift = Math.floor(random() * n);
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const first = (start + p) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const step = 1 + ((shift + j) % (n - 1));
      replicas.push(ids[(first + step) % n]!);
    }
    out.push(replicas);
  }
  return out;
}
