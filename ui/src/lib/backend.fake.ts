// A test implementation of backend.ts: the same functions over records held in
// memory, filtering the way the core does. A test file replaces the backend's calls
// with mock functions, keeping the rest of the module:
//
//   vi.mock("./backend", async (real) => ({ ...(await real()), homeInfo: vi.fn(), listPartners: vi.fn() }));
//
// (App.test.ts also mocks session, uiReady, onSync and overview.)
//
// then `useFakeBackend()` gives those functions their behaviour. Nothing here reaches Tauri.
//
// Every fake is named the same way: the records and stand-ins for one part of the UI
// live in `<part>.fake.ts` beside it (decisions/decisions.fake.ts, finance/finance.fake.ts,
// partners/partners.fake.ts), `useFake<Part>()` gives the mocked calls their behaviour,
// and `Fake<Part>` is what it can be told.

import { vi } from "vitest";
import * as backend from "./backend";
import { BackendError } from "./backend";
import type { HomeInfo } from "./bindings/HomeInfo";
import type { Overview } from "./bindings/Overview";
import type { PartnerFilter } from "./bindings/PartnerFilter";
import type { PartnerSummary } from "./bindings/PartnerSummary";
import type { ScopeInfo } from "./bindings/ScopeInfo";

export const member = { fingerprint: "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", name: "Alice Aalders" };

export const home: HomeInfo = {
  fingerprint: member.fingerprint,
  name: member.name,
  email: "alice@example.org",
  device: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  home: "/home/alice/.local/share/countersign",
  created: "2026-03-01T09:00:00Z",
  demo: false,
};

function partner(name: string, fields: Partial<PartnerSummary>): PartnerSummary {
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
    scope: "all",
    ...fields,
  };
}

export const partners: PartnerSummary[] = [
  partner("Acme Cloud", {
    stage: "partner",
    owner: member,
    tags: ["hosting", "sponsor"],
    website: "https://acme.example",
    last_contact: "2026-02-14",
  }),
  partner("City of Utrecht", { kind: "public-administration", stage: "contacted", tags: ["government"] }),
  partner("Delft University of Technology", { kind: "academia", stage: "partner", tags: ["research"] }),
  partner("Ember Systems", { tags: ["sponsor"], claims: [{ member, until: "2026-04-01" }] }),
];

/** Mirrors the core's filter: stage exactly, search in name, website or tags. */
export function applyFilter(rows: PartnerSummary[], filter: PartnerFilter): PartnerSummary[] {
  const text = filter.search?.toLowerCase() ?? null;
  return rows.filter(
    (p) =>
      (filter.stage === null || p.stage === filter.stage) &&
      (filter.tag === null || p.tags.includes(filter.tag)) &&
      (text === null ||
        p.name.toLowerCase().includes(text) ||
        (p.website ?? "").toLowerCase().includes(text) ||
        p.tags.some((t) => t.includes(text))),
  );
}

/**
 * The scopes of the rules in force as a board member sees them: `steering` is read by
 * the steering committee only, so the forms must not offer it.
 */
export const scopeInfos: ScopeInfo[] = [
  { scope: "all", readers: ["board", "treasurer", "sc", "team"], readable: true },
  { scope: "board", readers: ["board"], readable: true },
  { scope: "finance", readers: ["board", "treasurer"], readable: true },
  { scope: "steering", readers: ["sc"], readable: false },
];

/** Gives the mocked `scopes` call its answer (a test file mocks it: `scopes: vi.fn()`). */
export function useFakeScopes(infos: ScopeInfo[] = scopeInfos) {
  return vi.mocked(backend.scopes).mockReset().mockImplementation(async () => structuredClone(infos));
}

export interface FakeBackend {
  home?: HomeInfo;
  partners?: PartnerSummary[];
  /** Makes every call fail with this error. */
  failure?: BackendError;
}

/** A home screen with nothing waiting and no workspace. */
export const quietOverview: Overview = {
  needs_signature: [],
  open_decisions: 0,
  available: [],
  activity: [],
  sync: null,
};

/** Points the mocked backend module at records held in memory. */
export function useFakeBackend(fake: FakeBackend = {}) {
  const rows = fake.partners ?? partners;
  const homeInfo = vi.mocked(backend.homeInfo).mockImplementation(async () => {
    if (fake.failure) throw fake.failure;
    return fake.home ?? home;
  });
  const listPartners = vi.mocked(backend.listPartners).mockImplementation(async (filter) => {
    if (fake.failure) throw fake.failure;
    return applyFilter(rows, filter);
  });
  // The frame's calls, when the test file mocks them (App.test.ts).
  if (vi.isMockFunction(backend.session)) {
    vi.mocked(backend.session).mockImplementation(async () => {
      if (fake.failure) throw fake.failure;
      return { home: fake.home ?? home, workspace: null, unlocked: false, remembered: false, keyring: false };
    });
    vi.mocked(backend.uiReady).mockResolvedValue(undefined);
    vi.mocked(backend.onSync).mockResolvedValue(() => {});
    vi.mocked(backend.overview).mockResolvedValue(quietOverview);
  }
  return { homeInfo, listPartners };
}

