// Decisions held in memory for the decisions views' tests: the backend's decision
// calls over them, deciding roughly as the core does. A test file mocks the calls,
//
//   vi.mock("../backend", async (real) => ({ ...(await real()), decisions: vi.fn(), decision: vi.fn(), … }));
//
// (with `scopes: vi.fn()` among them: the propose form's scope selector asks it)
// then `useFakeDecisions()` gives them their behaviour. Nothing here reaches Tauri.

import { vi } from "vitest";
import * as backend from "../backend";
import { BackendError, PASSPHRASE_NEEDED } from "../backend";
import { useFakeScopes } from "../backend.fake";
import type { DecisionDetail } from "../bindings/DecisionDetail";
import type { DecisionImpact } from "../bindings/DecisionImpact";
import type { MemberRef } from "../bindings/MemberRef";
import type { Session } from "../bindings/Session";
import type { VoteView } from "../bindings/VoteView";

export const alice: MemberRef = { fingerprint: "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", name: "Alice Aalders" };
export const bob: MemberRef = { fingerprint: "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0", name: "Bob Bakker" };
export const carol: MemberRef = { fingerprint: "C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0", name: "Carol de Clercq" };

/** The passphrase that unlocks Alice's key. */
export const PASSPHRASE = "correct horse battery staple";

export const session: Session = {
  home: {
    fingerprint: alice.fingerprint,
    name: "Alice Aalders",
    email: "alice@example.org",
    device: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    home: "/home/alice/.local/share/countersign",
    created: "2026-03-01T09:00:00Z",
    demo: false,
  },
  workspace: null,
  unlocked: false,
  remembered: false,
  keyring: true,
};

/** `YYYY-MM-DD`, `days` from today (UTC). */
export function day(days: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days)).toISOString().slice(0, 10);
}

const hash = (digit: string) => digit.repeat(64);

function vote(member: MemberRef, choice: VoteView["choice"], fields: Partial<VoteView> = {}): VoteView {
  return {
    signer: member.fingerprint,
    signer_name: member.name,
    choice,
    reason: null,
    verified: true,
    counted: true,
    version: hash("1"),
    at: "2026-03-02T10:00:00Z",
    ...fields,
  };
}

function record(id: string, fields: Partial<DecisionDetail>): DecisionDetail {
  return {
    id,
    kind: "spending",
    title: id,
    status: "open",
    status_reason: "open; needs 2 approvals under \"majority board\"",
    rule: "majority board",
    amount: null,
    currency: null,
    fund: null,
    closes: day(20),
    decided: null,
    proposer: bob,
    version: 1,
    approvals: 0,
    objections: 0,
    abstentions: 0,
    needs_me: false,
    body: "",
    content_hash: hash(id.charAt(0)),
    change: null,
    votes: [],
    needed: 0,
    scope: "all",
    ...fields,
  };
}

/** Fresh records for each test: travel needs Alice, the booth is Alice's own. */
export function records(): DecisionDetail[] {
  return [
    record("1111aaaa", {
      kind: "spending",
      title: "Travel to the summit for Carol",
      amount: "1500.00",
      currency: "EUR",
      fund: "events",
      closes: day(2),
      needs_me: true,
      approvals: 1,
      objections: 0,
      needed: 2,
      content_hash: hash("1"),
      body: "Carol presents the project at the summit.\n\n- train: 400\n- hotel: 1100",
      votes: [
        vote(bob, "approve", { reason: "Worth the visibility" }),
        vote(carol, "object", { verified: false, counted: false, version: hash("0"), at: "2026-03-01T08:00:00Z" }),
      ],
    }),
    record("2222bbbb", {
      kind: "sponsorship",
      title: "Sponsor the community booth",
      proposer: alice,
      amount: "800",
      currency: "EUR",
      fund: "outreach",
      approvals: 1,
      needed: 2,
      content_hash: hash("2"),
      votes: [vote(alice, "approve", { version: hash("2") })],
    }),
    record("3333cccc", {
      kind: "budget",
      title: "Budget 2026",
      status: "approved",
      status_reason: "approved under \"majority board\"",
      amount: "20000",
      currency: "EUR",
      fund: "general",
      closes: day(-30),
      decided: day(-40),
      approvals: 2,
      scope: "finance",
    }),
    record("4444dddd", {
      kind: "written-resolution",
      title: "Adopt the code of conduct",
      status: "rejected",
      status_reason: "2 of 3 board members objected",
      closes: day(-5),
      objections: 2,
    }),
  ];
}

const impacts: Record<string, DecisionImpact> = {
  "1111aaaa": {
    fund: "events",
    currency: "EUR",
    year: 2026,
    budget: "5000.0000",
    available: "3000.0000",
    after: "1500.0000",
    counted: false,
  },
};

export interface FakeDecisions {
  rows?: DecisionDetail[];
  /** The OS keyring holds the passphrase: votes need none. */
  keyringHolds?: boolean;
  /** Makes every call fail with this error. */
  failure?: BackendError;
}

function summary(d: DecisionDetail) {
  const { body: _body, content_hash: _hash, change: _change, votes: _votes, needed: _needed, ...rest } = d;
  return rest;
}

/** Points the mocked decision calls at records held in memory. */
export function useFakeDecisions(fake: FakeDecisions = {}) {
  const rows = fake.rows ?? records();
  const find = (id: string) => {
    const found = rows.find((d) => d.id === id);
    if (!found) throw new BackendError("unknown-decision", `no decision ${id}`);
    return found;
  };
  const fail = () => {
    if (fake.failure) throw fake.failure;
  };
  const mocks = {
    decisions: vi.mocked(backend.decisions),
    decision: vi.mocked(backend.decision),
    decisionImpact: vi.mocked(backend.decisionImpact),
    vote: vi.mocked(backend.vote),
    proposeDecision: vi.mocked(backend.proposeDecision),
    amendDecision: vi.mocked(backend.amendDecision),
    withdrawDecision: vi.mocked(backend.withdrawDecision),
    exportDecision: vi.mocked(backend.exportDecision),
    choosePath: vi.mocked(backend.choosePath),
  };
  for (const mock of Object.values(mocks)) mock.mockReset();
  const scopes = useFakeScopes();

  mocks.decisions.mockImplementation(async (filter) => {
    fail();
    return rows
      .filter((d) => (!filter.open || d.status === "open") && (!filter.needs_me || d.needs_me))
      .map((d) => summary(d));
  });
  mocks.decision.mockImplementation(async (id) => {
    fail();
    return structuredClone(find(id));
  });
  mocks.decisionImpact.mockImplementation(async (id) => {
    fail();
    const d = find(id);
    const impact = impacts[id];
    if (!impact) return null;
    return d.status === "approved" ? { ...impact, available: impact.after, counted: true } : { ...impact };
  });
  mocks.vote.mockImplementation(async (id, choice, reason, passphrase) => {
    fail();
    if (passphrase === null && !fake.keyringHolds) {
      throw new BackendError(PASSPHRASE_NEEDED, "the key is locked; give its passphrase");
    }
    if (passphrase !== null && passphrase !== PASSPHRASE) {
      throw new BackendError("wrong-passphrase", "the passphrase does not unlock the key");
    }
    const d = find(id);
    d.votes.push(vote(alice, choice, { reason, version: d.content_hash }));
    d.needs_me = false;
    if (choice === "approve") d.approvals += 1;
    if (choice === "object") d.objections += 1;
    if (choice === "abstain") d.abstentions += 1;
    if (d.approvals >= d.needed) {
      d.status = "approved";
      d.status_reason = `approved under "${d.rule}"`;
      d.needed = 0;
      d.decided = day(0);
    }
    return structuredClone(d);
  });
  mocks.proposeDecision.mockImplementation(async (request) => {
    fail();
    const id = "9999ffff";
    rows.unshift(
      record(id, {
        kind: request.kind ?? "other",
        title: request.title,
        body: request.body,
        amount: request.amount,
        currency: request.currency,
        fund: request.fund,
        closes: request.closes ?? day(30),
        proposer: alice,
        needs_me: true,
        needed: 2,
        scope: request.scope ?? "all",
      }),
    );
    return id;
  });
  mocks.amendDecision.mockImplementation(async (id, request) => {
    fail();
    const d = find(id);
    Object.assign(d, { title: request.title || d.title, body: request.body || d.body, version: d.version + 1 });
    return hash("8");
  });
  mocks.withdrawDecision.mockImplementation(async (id) => {
    fail();
    const d = find(id);
    d.status = "withdrawn";
    d.status_reason = "withdrawn by the proposer";
  });
  mocks.exportDecision.mockImplementation(async (id, folder) => {
    fail();
    return { dir: `${folder}/decision-${id}`, files: ["README.txt", "decision.json", "vote-1.json", "vote-1.json.asc"] };
  });
  mocks.choosePath.mockResolvedValue("/home/alice/audit");
  return { rows, scopes, ...mocks };
}
