// Words for the core's values. Typed as complete records over the generated unions,
// so a kind or stage added in Rust fails `npm run check` until it has a label here.

import type { Kind } from "./bindings/Kind";
import type { MemberRef } from "./bindings/MemberRef";
import type { Stage } from "./bindings/Stage";

export const kindLabels: Record<Kind, string> = {
  company: "Company",
  "public-administration": "Public administration",
  academia: "Academia",
  community: "Community",
};

export const stageLabels: Record<Stage, string> = {
  prospect: "Prospect",
  contacted: "Contacted",
  "in-discussion": "In discussion",
  partner: "Partner",
  lapsed: "Lapsed",
  declined: "Declined",
};

/** Every stage, in the order of a relationship's life. */
export const stages = Object.keys(stageLabels) as Stage[];

/** A member's name, or the end of their fingerprint when the name is not known. */
export function memberName(member: MemberRef): string {
  return member.name ?? `…${member.fingerprint.slice(-8)}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});

/** A calendar date (`YYYY-MM-DD`, as the core sends it) in the reader's format. */
export function formatDate(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : dateFormat.format(date);
}
