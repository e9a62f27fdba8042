// Test records for the partner views and an in-memory stand-in for the partner calls
// of backend.ts, refusing the way the core does (a name already recorded, another
// member's live claim). A test file mocks the calls, keeping the rest of the module:
//
//   vi.mock("../backend", async (real) => ({ ...(await real()), ...partnerMocks() }));
//
// where partnerMocks is written out in the test (vi.mock is hoisted; it includes
// `scopes`, which the forms' scope selectors ask), then `useFakePartners()` gives the
// mocks their behaviour.

import { vi } from "vitest";
import * as backend from "../backend";
import { BackendError } from "../backend";
import { applyFilter, home, member, useFakeScopes } from "../backend.fake";
import type { Claim } from "../bindings/Claim";
import type { MemberRef } from "../bindings/MemberRef";
import type { PartnerDetail } from "../bindings/PartnerDetail";
import type { PartnerSummary } from "../bindings/PartnerSummary";
import type { Session } from "../bindings/Session";

export { member };

/** Another member of the board. */
export const ada: MemberRef = { fingerprint: "F00DFACE00112233445566778899AABBCCDDEEFF", name: "Ada Lindqvist" };

/** The member at the keyboard is Alice (backend.fake's home). */
export const session: Session = { home, workspace: null, unlocked: true, remembered: false, keyring: true };

/** Far enough ahead that the claims stay live whenever the tests run. */
export const FUTURE = "2099-12-12";

function detail(name: string, fields: Partial<PartnerDetail>): PartnerDetail {
  return {
    id: name.toLowerCase(),
    name,
    kind: "company",
    stage: "prospect",
    owner: null,
    tags: [],
    website: null,
    opencollective: null,
    last_contact: null,
    claims: [],
    notes: null,
    contacts: [],
    interactions: [],
    scope: "all",
    ...fields,
  };
}

/** Fresh copies of the test organisations: Borealis is claimed by Ada, Acme by Alice herself. */
export function fixtures(): PartnerDetail[] {
  return [
    detail("Acme Cloud", {
      stage: "partner",
      owner: member,
      tags: ["hosting", "sponsor"],
      claims: [{ member, until: FUTURE }],
    }),
    detail("Borealis Compute", {
      kind: "company",
      stage: "contacted",
      owner: ada,
      tags: ["hpc", "sponsor"],
      website: "https://borealis.example",
      opencollective: "borealis-compute",
      notes: "Met at FOSDEM.",
      last_contact: "2026-03-02",
      claims: [{ member: ada, until: FUTURE }],
      contacts: [
        { id: "c1", name: "Mira Holm", email: "mira@borealis.example", role: "Head of open source", added_by: ada, scope: "all" },
        { id: "c2", name: "Tor Berg", email: null, role: "CFO", added_by: member, scope: "board" },
      ],
      interactions: [
        {
          id: "i2",
          date: "2026-03-02",
          channel: "meeting",
          member: ada,
          summary: "Presented the sponsorship tiers",
          next_step: "Send the proposal",
          due: "2026-03-20",
          scope: "all",
        },
        {
          id: "i1",
          date: "2026-01-15",
          channel: "email",
          member,
          summary: "First introduction",
          next_step: null,
          due: null,
          scope: "board",
        },
      ],
    }),
    detail("City of Utrecht", { kind: "public-administration", tags: ["government"] }),
    // A board-only record: its contacts and notes stay in `board`.
    detail("Dunmore Foundation", { kind: "community", tags: ["grants"], scope: "board" }),
  ];
}

/** `count` organisations named "Organisation 00001" …, for the windowing test. */
export function manyPartners(count: number): PartnerDetail[] {
  return Array.from({ length: count }, (_, i) => detail(`Organisation ${String(i + 1).padStart(5, "0")}`, {}));
}

function summary(d: PartnerDetail): PartnerSummary {
  const { notes: _notes, contacts: _contacts, interactions: _interactions, ...rest } = d;
  return structuredClone(rest);
}

function claimed(d: PartnerDetail, who: MemberRef): BackendError {
  const claim = d.claims.find((c) => c.member.fingerprint !== who.fingerprint) as Claim;
  return new BackendError(
    "claimed",
    `${d.name} is claimed by ${claim.member.name} until ${claim.until}; talk to them first, or pass --force to go ahead anyway`,
  );
}

/** Points the mocked partner calls at records held in memory (forgetting earlier calls); returns the mocks and the records. */
export function useFakePartners(records: PartnerDetail[] = fixtures()) {
  const find = (name: string): PartnerDetail => {
    const found = records.find((p) => p.name.toLowerCase() === name.trim().toLowerCase() || p.id === name);
    if (!found) throw new BackendError("unknown-partner", `no organisation named "${name}" is recorded`);
    return found;
  };
  const othersClaim = (d: PartnerDetail) => d.claims.some((c) => c.member.fingerprint !== member.fingerprint);
  const scopes = useFakeScopes();

  const listPartners = vi.mocked(backend.listPartners).mockReset().mockImplementation(async (filter) => {
    const rows = applyFilter(records.map(summary), filter).sort((a, b) => a.name.localeCompare(b.name));
    const from = filter.offset ?? 0;
    return rows.slice(from, filter.limit === null ? undefined : from + filter.limit);
  });
  const partnerDetail = vi.mocked(backend.partnerDetail).mockReset().mockImplementation(async (name) => structuredClone(find(name)));
  const addPartner = vi.mocked(backend.addPartner).mockReset().mockImplementation(async (p) => {
    const existing = records.find((r) => r.name.toLowerCase() === p.name.trim().toLowerCase());
    if (existing) {
      throw new BackendError(
        "partner-exists",
        `an organisation named "${p.name}" is already recorded; use \`countersign partner set\` to change it`,
      );
    }
    const added = detail(p.name, { kind: p.kind, stage: p.stage, tags: p.tags, website: p.website, scope: p.scope ?? "all" });
    records.push(added);
    return summary(added);
  });
  const updatePartner = vi.mocked(backend.updatePartner).mockReset().mockImplementation(async (name, update) => {
    const d = find(name);
    if (update.stage) d.stage = update.stage;
    if (update.kind) d.kind = update.kind;
    if (update.notes !== null) d.notes = update.notes || null;
    if (update.scope !== null) d.scope = update.scope;
    return summary(d);
  });
  const addContact = vi.mocked(backend.addContact).mockReset().mockImplementation(async (name, c) => {
    const d = find(name);
    d.contacts.push({ id: `c${d.contacts.length + 1}`, ...c, added_by: member, scope: c.scope ?? d.scope });
    return structuredClone(d);
  });
  const logInteraction = vi.mocked(backend.logInteraction).mockReset().mockImplementation(async (name, entry) => {
    const d = find(name);
    if (!entry.force && othersClaim(d)) throw claimed(d, member);
    const date = entry.date ?? "2026-04-01";
    d.interactions.unshift({
      id: `i${d.interactions.length + 1}`,
      date,
      channel: entry.channel,
      member,
      summary: entry.summary,
      next_step: entry.next_step,
      due: entry.due,
      scope: entry.scope ?? d.scope,
    });
    d.last_contact = date;
    return structuredClone(d);
  });
  const claimPartner = vi.mocked(backend.claimPartner).mockReset().mockImplementation(async (name, days, force) => {
    const d = find(name);
    if (!force && othersClaim(d)) throw claimed(d, member);
    const overridden = d.claims.filter((c) => c.member.fingerprint !== member.fingerprint);
    d.claims = [...overridden, { member, until: FUTURE }];
    return { partner: d.name, until: FUTURE, overridden: structuredClone(overridden) };
  });

  return { records, listPartners, partnerDetail, addPartner, updatePartner, addContact, logInteraction, claimPartner, scopes };
}
