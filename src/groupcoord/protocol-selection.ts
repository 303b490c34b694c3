// Choosing the group's protocol (the assignor, for consumers). Only protocols every member supports are
// candidates; each member votes for the first candidate in its own preference order, and the most votes win.

import type { GroupMember } from './member';

/** Protocols supported by every member (in the first member's preference order, for determinism). */
export function candidateProtocols(members: readonly GroupMember[]): string[] {
  if (members.length === 0) return [];
  const [first, ...rest] = members;
  return first!.protocolNames().filter((name) => rest.every((m) => m.protocols.some((p) => p.name === name)));
}

/** The member's most preferred protocol among candidates. */
export function vote(member: GroupMember, candidates: readonly string[]): string | undefined {
  return member.protocolNames().find((name) => candidates.includes(name));
}

/**
 * The winning protocol, or undefined when the members share none. Ties go to the protocol whose first vote came
 * earliest in member order (Kafka leaves ties to hash-map order; any consistent choice is valid).
 */
export function selectProtocol(members: readonly GroupMember[]): string | undefined {
  const candidates = candidateProtocols(members);
  if (candidates.length === 0) return undefined;
  const votes = new Map<string, number>();
  for (const m of members) {
    const v = vote(m, candidates);
    if (v !== undefined) votes.set(v, (votes.get(v) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestVotes = -1;
  for (const [name, n] of votes) {
    if (n > bestVotes) {
      best = name;
      bestVotes = n;
    }
  }
  return best;
}

/**
 * Whether a member with this protocol type and protocols may join. An empty group takes any non-empty type and
 * protocol list; otherwise the type must match and at least one protocol must be supported by all members.
 */
export function supportsProtocols(
  groupIsEmpty: boolean,
  groupProtocolType: string | null,
  members: readonly GroupMember[],
  memberProtocolType: string,
  memberProtocols: readonly string[],
): boolean {
  if (groupIsEmpty) return memberProtocolType.length > 0 && memberProtocols.length > 0;
  if (groupProtocolType !== memberProtocolType) return false;
  return memberProtocols.some((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
}
