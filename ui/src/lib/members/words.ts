// Words for roles, decision kinds and access scopes, as the members and home views
// show them. Complete records over the generated unions: a role or kind added in Rust
// fails `npm run check` until it has a label here.

import type { DecisionKind } from "../bindings/DecisionKind";
import type { MemberInfo } from "../bindings/MemberInfo";
import type { Role } from "../bindings/Role";

export const roleLabels: Record<Role, string> = {
  board: "Board",
  treasurer: "Treasurer",
  sc: "Steering committee",
  team: "Community team",
};

/** Every role, in the order the forms offer them. */
export const roles = Object.keys(roleLabels) as Role[];

export const decisionKindLabels: Record<DecisionKind, string> = {
  budget: "Budget",
  spending: "Spending",
  sponsorship: "Sponsorship",
  "written-resolution": "Written resolution",
  roster: "Roster change",
  rules: "Rule change",
  other: "Other",
};

/** A decision kind as the rule set names it, in words (unknown names as they are). */
export function decisionKindLabel(kind: string): string {
  return (decisionKindLabels as Record<string, string>)[kind] ?? kind;
}

const scopeLabels: Record<string, string> = {
  all: "shared records",
  board: "board records",
  finance: "finance records",
};

/** A readable scope in words: `finance` → "finance records". */
export function scopeLabel(scope: string): string {
  return scopeLabels[scope] ?? `${scope} records`;
}

/** A fingerprint in blocks of four: "A1B2 C3D4 E5F6 …". */
export function groupFingerprint(fingerprint: string): string {
  return (fingerprint.replace(/\s+/g, "").match(/.{1,4}/g) ?? []).join(" ");
}

/** A roster member's name, or the end of their fingerprint when they have none. */
export function rosterName(member: MemberInfo): string {
  return member.name || `…${member.fingerprint.slice(-8)}`;
}

/** The name of the member with `fingerprint` on `roster`, or the end of the fingerprint. */
export function nameOn(roster: MemberInfo[], fingerprint: string): string {
  const member = roster.find((m) => m.fingerprint.toUpperCase() === fingerprint.toUpperCase());
  return member ? rosterName(member) : `…${fingerprint.slice(-8)}`;
}
