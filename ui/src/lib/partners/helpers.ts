// Helpers of the partner views: claims seen from the member at the keyboard (whose
// live claim should stop them before they reach out, and how to say so), and the
// small conversions the forms need.

import type { BackendError } from "../backend";
import type { Claim } from "../bindings/Claim";
import type { PartnerUpdate } from "../bindings/PartnerUpdate";
import { formatDate, memberName } from "../labels";

/** Today as the core counts claims and contact dates: the UTC calendar day, `YYYY-MM-DD`. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The claims of other members that have not run out (a claim's `until` is its last day). */
export function othersLiveClaims(claims: Claim[], myFingerprint: string, today: string = todayUtc()): Claim[] {
  const me = myFingerprint.toUpperCase();
  return claims.filter((c) => c.member.fingerprint.toUpperCase() !== me && c.until >= today);
}

/**
 * Whether the backend refused because another member claims the organisation.
 * backend.ts documents the code as `claimed`; the core's `Error::code()` names it
 * `claimed-by-other`. Both are accepted.
 */
export function isClaimRefusal(err: BackendError): boolean {
  return err.code === "claimed" || err.code === "claimed-by-other";
}

function names(parts: string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** "Ada Lindqvist is already in touch with Borealis Compute (claimed until 12 Dec 2026). Talk to them before you reach out." */
export function claimWarning(partner: string, claims: Claim[]): string {
  if (claims.length === 1) {
    const [claim] = claims as [Claim];
    return (
      `${memberName(claim.member)} is already in touch with ${partner} ` +
      `(claimed until ${formatDate(claim.until)}). Talk to them before you reach out.`
    );
  }
  const who = names(claims.map((c) => `${memberName(c.member)} (until ${formatDate(c.until)})`));
  return `${who} are already in touch with ${partner}. Talk to them before you reach out.`;
}

/** A PartnerUpdate that changes nothing; spread it and set the fields to change. */
export const noChange: PartnerUpdate = {
  kind: null,
  stage: null,
  owner: null,
  website: null,
  notes: null,
  opencollective: null,
  tags: null,
  scope: null,
};

/** "hosting, sponsor , " → ["hosting", "sponsor"]. */
export function splitTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}
