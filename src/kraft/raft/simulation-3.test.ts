// Deterministic simulation of a 3-voter quorum plus an observer under message loss, duplication, reordering,
// partitions, crashes (losing the unflushed log tail) and restarts. Invariants are checked on every step (see
// sim/invariants.ts); each seed ends with healing and a liveness check. A failure names the seed:
// RAFT_SIM_FIRST_SEED=<seed> RAFT_SIM_SEEDS=1 reruns just that one.

import { describeSimulation } from './__tests__/simulation-suite';

describeSimulation(3);
