import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../backend";
import { home, member } from "../backend.fake";
import type { Overview } from "../bindings/Overview";
import type { Session } from "../bindings/Session";
import HomeView from "./HomeView.svelte";

vi.mock("../backend", async (real) => ({ ...(await real()), overview: vi.fn() }));

const bob = { fingerprint: "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0", name: "Bob Bakker" };

const session: Session = { home, workspace: null, unlocked: false, remembered: false, keyring: true };

function decision(id: string, title: string, closes: string, amount: string | null) {
  return {
    id,
    kind: "spending" as const,
    title,
    status: "open" as const,
    status_reason: "open",
    rule: "majority board",
    amount,
    currency: amount ? "EUR" : null,
    fund: amount ? "Events" : null,
    closes,
    decided: null,
    proposer: bob,
    version: 1,
    approvals: 0,
    objections: 0,
    abstentions: 0,
    needs_me: true,
    scope: "all",
  };
}

const data: Overview = {
  needs_signature: [
    decision("d-soon", "Venue for the summit", "2026-03-12", "2500.0000"),
    decision("d-later", "Adopt the travel policy", "2026-04-09", null),
  ],
  open_decisions: 3,
  available: [
    {
      fund: "Events",
      currency: "EUR",
      year: 2026,
      source: "eboekhouden",
      budget: "10000.0000",
      spent: "3000.0000",
      committed: "2500.0000",
      available: "4500.0000",
      decisions: [],
    },
    {
      fund: "Travel",
      currency: "EUR",
      year: 2026,
      source: "eboekhouden",
      budget: "1000.0000",
      spent: "1200.0000",
      committed: "0.0000",
      available: "-200.0000",
      decisions: [],
    },
  ],
  activity: [
    {
      at: "2026-03-10T10:00:00Z",
      kind: "vote",
      member: bob,
      subject: "Venue for the summit",
      detail: "approve",
      decision: "d-soon",
    },
    {
      at: "2026-03-08T09:00:00Z",
      kind: "contact",
      member,
      subject: "Acme Cloud",
      detail: "Call about renewing the sponsorship",
      decision: null,
    },
  ],
  sync: {
    folder: "/home/alice/Sync/board",
    last_sync: "2026-03-10T11:55:00Z",
    pending_operations: 2,
    waiting: [],
    rejected: [{ file: "bundles/x/7.cs", reason: "the signature does not verify" }],
    forks: [],
    sealed: 0,
  },
};

function entries(): HTMLElement[] {
  const section = screen.getByRole("region", { name: "What changed" });
  return within(section).getAllByRole("listitem");
}

describe("the home view", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-10T12:00:00Z"));
    localStorage.clear();
    vi.mocked(backend.overview).mockReset();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lists what needs the member's signature with deadlines, and opens a decision", async () => {
    vi.mocked(backend.overview).mockResolvedValue(data);
    const onNavigate = vi.fn();
    render(HomeView, { session, version: 0, onNavigate });

    const section = await screen.findByRole("region", { name: "Needs your signature" });
    const [soon, later] = within(section).getAllByRole("listitem");
    expect(soon?.textContent).toContain("€2,500.00");
    expect(soon?.textContent).toMatch(/Urgent:\s*closes\s*\S.*2026,\s*2 days left/);
    expect(soon?.querySelector("time")?.getAttribute("datetime")).toBe("2026-03-12");
    expect(later?.textContent).toContain("30 days left");
    expect(later?.textContent).not.toContain("Urgent");
    expect(later?.textContent).toContain("No amount");
    expect(section.textContent).toContain("3 open decisions in all");

    await fireEvent.click(within(section).getByRole("button", { name: "Venue for the summit" }));
    expect(onNavigate).toHaveBeenCalledWith("decisions", "d-soon");
  });

  it("says so when nothing waits for a signature, and when there is no workspace", async () => {
    vi.mocked(backend.overview).mockResolvedValue({ ...data, needs_signature: [], sync: null });
    render(HomeView, { session, version: 0, onNavigate: vi.fn() });

    expect(await screen.findByText("Nothing waits for your signature.")).toBeTruthy();
    const sync = screen.getByRole("region", { name: "Sync" });
    expect(sync.textContent).toContain("Not in a workspace yet");
  });

  it("shows each fund's money available against its budget, in figures and bars", async () => {
    vi.mocked(backend.overview).mockResolvedValue(data);
    const { container } = render(HomeView, { session, version: 0, onNavigate: vi.fn() });

    const section = await screen.findByRole("region", { name: "Money available" });
    const [events, travel] = within(section).getAllByRole("listitem");
    expect(events?.textContent).toMatch(/€4,500.00\s*available of\s*€10,000.00/);
    expect(events?.textContent).toMatch(/Spent €3,000.00/);
    expect(events?.textContent).toMatch(/Committed\s*€2,500.00/);
    expect(travel?.textContent).toContain("Over budget by €200.00");

    const bars = container.querySelectorAll<HTMLElement>(".track .spent");
    expect(bars[0]?.style.width).toBe("30%");
    expect(container.querySelector<HTMLElement>(".track .committed")?.style.width).toBe("25%");
    expect(bars[1]?.style.width).toBe("100%");
  });

  it("marks activity newer than the member's last look as new, and records this look", async () => {
    localStorage.setItem("countersign.lastLooked", "2026-03-09T00:00:00.000Z");
    vi.mocked(backend.overview).mockResolvedValue(data);
    const onNavigate = vi.fn();
    render(HomeView, { session, version: 0, onNavigate });

    await screen.findByRole("region", { name: "What changed" });
    const [vote, contact] = entries();
    expect(vote?.textContent).toMatch(/New\s*Bob Bakker\s*approved\s*Venue for the summit/);
    expect(vote?.textContent).toContain("2 hours ago");
    expect(contact?.textContent).not.toContain("New");
    expect(contact?.textContent).toMatch(/You\s*logged a contact with\s*Acme Cloud/);
    expect(localStorage.getItem("countersign.lastLooked")).toBe("2026-03-10T12:00:00.000Z");

    await fireEvent.click(within(contact as HTMLElement).getByRole("button", { name: "Acme Cloud" }));
    expect(onNavigate).toHaveBeenCalledWith("partners", "Acme Cloud");
  });

  it("warns about rejected files with a way to the sync view, and reloads after a sync", async () => {
    vi.mocked(backend.overview).mockResolvedValue(data);
    const onNavigate = vi.fn();
    const view = render(HomeView, { session, version: 0, onNavigate });

    const sync = await screen.findByRole("region", { name: "Sync" });
    expect(sync.textContent).toContain("/home/alice/Sync/board");
    expect(sync.textContent).toContain("5 minutes ago");
    expect(sync.textContent).toContain("2 operations not yet written to the folder");
    expect(sync.textContent).toContain("1 file rejected");
    await fireEvent.click(within(sync).getByRole("button", { name: "Review them in Sync" }));
    expect(onNavigate).toHaveBeenCalledWith("sync");

    vi.mocked(backend.overview).mockResolvedValue({ ...data, sync: { ...data.sync!, rejected: [] } });
    await view.rerender({ version: 1 });
    await vi.waitFor(() => expect(screen.queryByRole("button", { name: "Review them in Sync" })).toBeNull());
    expect(backend.overview).toHaveBeenCalledTimes(2);
  });
});
