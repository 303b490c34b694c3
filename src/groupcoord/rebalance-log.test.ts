// The coordinator's rebalance log lines carry the group id, generation and member count as fields, so structured
// logs can be searched by group.

import { GroupCoordinator } from './coordinator';
import { FakeClock } from './fake-clock';
import { InMemoryCoordinatorLog } from './memory-log';
import { TEST_CONFIG, flush, joinReq, syncReq, track } from './testkit';

test('rebalance start, join completion and the stable generation are logged with ids', async () => {
  const lines: { msg: string; fields?: object }[] = [];
  const clock = new FakeClock();
  const coord = new GroupCoordinator({
    log: new InMemoryCoordinatorLog(),
    clock,
    config: TEST_CONFIG,
    newMemberId: (prefix) => `${prefix}-m1`,
    logger: { info: (msg, fields) => lines.push({ msg, fields }), warn: () => {} },
  });
  coord.startup();
  await coord.onElection(coord.partitionFor('g'));

  const join = track(coord.joinGroup(joinReq()));
  await flush();
  clock.advance(TEST_CONFIG.groupInitialRebalanceDelayMs!);
  await flush();
  const r = join.value;
  await coord.syncGroup(syncReq({ memberId: r.memberId, generationId: r.generationId, assignments: [{ memberId: r.memberId, assignment: Buffer.from('a') }] }));

  const withFields = lines.filter((l) => l.fields !== undefined);
  expect(withFields).toEqual([
    { msg: expect.stringContaining('group g: preparing to rebalance (generation 0, 1 members)'), fields: expect.objectContaining({ groupId: 'g', generation: 0, members: 1 }) },
    { msg: 'group g: generation 1 (range) with 1 members', fields: { groupId: 'g', generation: 1, members: 1, protocol: 'range' } },
    { msg: 'group g: rebalance complete, generation 1 is stable with 1 members', fields: { groupId: 'g', generation: 1, members: 1 } },
  ]);
  coord.shutdown();
});
