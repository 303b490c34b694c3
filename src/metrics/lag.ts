// Consumer lag: for every group this broker coordinates and every partition it has committed an offset for, the
// partition's high watermark minus the committed offset. Computed when Prometheus scrapes, from the coordinator's
// committed offsets and the partitions this broker hosts; nothing is tracked on the request path.

/** What lag needs from the group coordinator (GroupCoordinator satisfies it). */
export interface GroupOffsetsView {
  listGroups(): { groups: readonly { groupId: string; groupState: string }[] };
  fetchOffsets(p: { groupId: string; topics: null; requireStable: boolean }): {
    errorCode: number;
    topics: readonly { name: string; partitions: readonly { partitionIndex: number; committedOffset: number; errorCode: number }[] }[];
  };
}

export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/**
 * @param highWatermark the partition's high watermark, or undefined when this broker does not host it (its lag is
 *   reported by the broker that does)
 */
export function consumerLag(groups: GroupOffsetsView, highWatermark: (topic: string, partition: number) => number | undefined): LagRow[] {
  const rows: LagRow[] = [];
  for (const { groupId } of groups.listGroups().groups) {
    const res = groups.fetchOffsets({ groupId, topics: null, requireStable: false });
    if (res.errorCode !== 0) continue;
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0 || p.committedOffset < 0) continue;
        const hw = highWatermark(t.name, p.partitionIndex);
        if (hw === undefined) continue;
        // A committed offset past the high watermark (the log was truncated or deleted under it) is not negative lag.
        rows.push({ group: groupId, topic: t.name, partition: p.partitionIndex, lag: Math.max(0, hw - p.committedOffset) });
      }
    }
  }
  return rows;
}
