// Words and small computations for the decisions views. Typed as complete records
// over the generated unions, so a kind or status added in Rust fails `npm run check`
// until it has a label here.

import type { Choice } from "../bindings/Choice";
import type { DecisionKind } from "../bindings/DecisionKind";
import type { Status } from "../bindings/Status";

export const decisionKindLabels: Record<DecisionKind, string> = {
  budget: "Budget",
  spending: "Spending",
  sponsorship: "Sponsorship",
  "written-resolution": "Written resolution",
  roster: "Roster change",
  rules: "Rules change",
  other: "Other",
};

/** The kinds a decision can be proposed as here; roster and rules changes are proposed from Members. */
export const proposableKinds: DecisionKind[] = ["budget", "spending", "sponsorship", "written-resolution", "other"];

export const statusLabels: Record<Status, string> = {
  open: "Open",
  approved: "Approved",
  rejected: "Rejected",
  expired: "Expired",
  withdrawn: "Withdrawn",
};

/** The button that casts a choice. */
export const choiceActions: Record<Choice, string> = {
  approve: "Approve",
  object: "Object",
  abstain: "Abstain",
};

/** A cast vote, as shown in the list of votes. */
export const choiceLabels: Record<Choice, string> = {
  approve: "Approves",
  object: "Objects",
  abstain: "Abstains",
};

/** The passphrase dialog's title for each choice. */
export const signTitles: Record<Choice, string> = {
  approve: "Sign your approval",
  object: "Sign your objection",
  abstain: "Sign your abstention",
};

/** What the member is told once the vote is recorded. */
export const signedMessages: Record<Choice, string> = {
  approve: "Your approval is signed and recorded.",
  object: "Your objection is signed and recorded.",
  abstain: "Your abstention is signed and recorded.",
};

/** Deadlines this close (in days) are highlighted. */
export const SOON_DAYS = 3;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whole days from today (UTC, as the core counts) to `day` (`YYYY-MM-DD`); 0 when it
 * is today, negative when it has passed, null when the date cannot be read.
 */
export function daysUntil(day: string, now: Date = new Date()): number | null {
  const target = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(target)) return null;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((target - today) / DAY_MS);
}

/** "closes today", "closes tomorrow", "closes in 3 days" — for deadlines within {@link SOON_DAYS}. */
export function soonText(days: number): string {
  if (days <= 0) return "closes today";
  if (days === 1) return "closes tomorrow";
  return `closes in ${days} days`;
}

/** "3 approvals", "1 objection": a count with its noun. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A long hash as its first and last digits: "3fa9c2e1…b07d". */
export function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 8)}…${hash.slice(-4)}` : hash;
}

/** Whether two fingerprints name the same key (the core writes them upper-case). */
export function sameKey(a: string, b: string): boolean {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}
