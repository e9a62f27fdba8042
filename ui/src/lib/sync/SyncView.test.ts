import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../backend";
import { BackendError } from "../backend";
import { home, member } from "../backend.fake";
import type { Session } from "../bindings/Session";
import type { SyncReport } from "../bindings/SyncReport";
import type { SyncStatus } from "../bindings/SyncStatus";
import SyncView from "./SyncView.svelte";

vi.mock("../backend", async (real) => ({ ...(await real()), syncStatus: vi.fn(), syncNow: vi.fn() }));

const bob = { fingerprint: "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0", name: "Bob Bakker", email: "bob@example.org" };

const session: Session = {
  home,
  workspace: {
    id: "7d3f0a9c2b1e4f5a8c6d",
    name: "Foundation board",
    folder: "/home/alice/Sync/board",
    created: "2026-01-05T10:00:00Z",
    creator: member.fingerprint,
    roster: [
      { ...bob, role: "board" },
      { fingerprint: member.fingerprint, name: member.name, email: home.email, role: "treasurer" },
    ],
    rules: { decisions: {}, funding_expiry_months: 12, access: {} },
  },
  unlocked: false,
  remembered: false,
  keyring: true,
};

const status: SyncStatus = {
  folder: "/home/alice/Sync/board",
  last_sync: null,
  pending_operations: 4,
  waiting: [],
  rejected: [
    { file: "bundles/B0B0/dev1/000007.cs", reason: "the signature does not verify against the roster" },
    { file: "bundles/C1C1/dev9/000001.cs", reason: "its author is not on the roster" },
  ],
  forks: [],
  sealed: 0,
};

const report: SyncReport = {
  written: [{ file: "bundles/A1B2/dev0/000003.cs", author: member.fingerprint, device: "0f1e2d3c4b5a", seq: 3, operations: 4 }],
  applied: [
    { file: "bundles/B0B0/dev1/000005.cs", author: bob.fingerprint, device: "9a8b7c6d5e4f", seq: 5, operations: 2 },
    { file: "bundles/B0B0/dev1/000006.cs", author: bob.fingerprint, device: "9a8b7c6d5e4f", seq: 6, operations: 1 },
  ],
  waiting: [],
  rejected: [status.rejected[0]!],
  forks: [
    {
      author: bob.fingerprint,
      device: "9a8b7c6d5e4f",
      seq: 4,
      files: ["bundles/B0B0/dev1/000004.cs", "bundles/B0B0/dev1/000004 (conflict).cs"],
      reason: "two different bundles for the same position (a sync tool kept both)",
    },
  ],
  sealed: 0,
  ahead: [],
};

function rejectedItems(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>("li.rejected"));
}

describe("the sync view", () => {
  beforeEach(() => {
    vi.mocked(backend.syncStatus).mockReset().mockResolvedValue(status);
    vi.mocked(backend.syncNow).mockReset();
  });

  it("lists rejected files with their reasons without syncing", async () => {
    render(SyncView, { session, version: 0 });

    const section = await screen.findByRole("region", { name: "Rejected files" });
    await waitFor(() => expect(rejectedItems()).toHaveLength(2));
    const [first, second] = rejectedItems();
    expect(first?.textContent).toContain("bundles/B0B0/dev1/000007.cs");
    expect(first?.textContent).toContain("The signature does not verify against the roster.");
    expect(second?.textContent).toContain("Its author is not on the roster.");
    expect(section.textContent).toMatch(/left in the shared folder untouched, and nothing from them was\s+applied/);

    expect(screen.getByText("4 operations recorded here and not yet written to the folder")).toBeTruthy();
    expect(screen.getByText(/runs by itself whenever the shared folder changes/)).toBeTruthy();
    expect(document.querySelector(".sealed")).toBeNull(); // nothing sealed: nothing said
    expect(backend.syncNow).not.toHaveBeenCalled();
  });

  it("asks for the passphrase when the key is locked and syncs again with it", async () => {
    vi.mocked(backend.syncNow)
      .mockRejectedValueOnce(new BackendError("passphrase-needed", "unlock your key to sync"))
      .mockRejectedValueOnce(new BackendError("wrong-passphrase", "the passphrase is wrong"))
      .mockResolvedValueOnce(report);
    render(SyncView, { session, version: 0 });

    await fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    const dialog = await screen.findByRole("dialog", { name: "Unlock your key to sync" });
    expect(backend.syncNow).toHaveBeenCalledWith(null, false);

    await fireEvent.input(within(dialog).getByLabelText("Passphrase of your key"), { target: { value: "wrong" } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Continue" }));
    expect(await within(dialog).findByRole("alert")).toBeTruthy();

    await fireEvent.input(within(dialog).getByLabelText("Passphrase of your key"), { target: { value: "hunter2" } });
    await fireEvent.click(within(dialog).getByLabelText(/Remember it in this computer's keyring/));
    await fireEvent.click(within(dialog).getByRole("button", { name: "Continue" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(backend.syncNow).toHaveBeenLastCalledWith("hunter2", true);
    expect(await screen.findByRole("region", { name: "What the sync did" })).toBeTruthy();
  });

  it("shows what the sync did: bundles written and applied, rejected files and forks", async () => {
    vi.mocked(backend.syncNow).mockResolvedValue(report);
    render(SyncView, { session, version: 0 });

    await fireEvent.click(screen.getByRole("button", { name: "Sync now" }));

    const done = await screen.findByRole("region", { name: "What the sync did" });
    expect(within(done).getByText("Wrote 1 bundle, applied 2, 1 rejected, 1 fork.")).toBeTruthy();
    expect(screen.getByRole("status").textContent).toContain("Wrote 1 bundle, applied 2, 1 rejected, 1 fork.");
    expect(within(done).getByRole("heading", { name: "Written: 1 bundle" })).toBeTruthy();
    expect(within(done).getByRole("heading", { name: "Applied: 2 bundles" })).toBeTruthy();
    expect(done.textContent).toMatch(/000005\.cs\s*from Bob Bakker \(device 9a8b7c6d…\), bundle 5,\s*2 operations/);

    const forks = screen.getByRole("region", { name: "Forks" });
    expect(forks.textContent).toContain("Two different bundles for the same position (a sync tool kept both).");
    expect(within(forks).getByText("bundles/B0B0/dev1/000004 (conflict).cs")).toBeTruthy();
    // The report's rejected file is the status's too: listed once.
    expect(rejectedItems()).toHaveLength(2);
    expect(backend.syncStatus).toHaveBeenCalledTimes(2);
  });

  it("says whose clock runs ahead, and what to do, after a sync that found one", async () => {
    const message =
      "Bob Bakker's laptop (device 9a8b7c6d) stamps its changes 3 days ahead of this computer's clock, so their edits win every tie until the clocks agree; ask them to check the date and time";
    const clock = { member: { fingerprint: bob.fingerprint, name: "Bob Bakker" }, device: "9a8b7c6d5e4f", hours: 72, message };
    vi.mocked(backend.syncNow).mockResolvedValue({ ...report, rejected: [], forks: [], ahead: [clock] });
    render(SyncView, { session, version: 0 });

    await fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    const done = await screen.findByRole("region", { name: "What the sync did" });
    expect(within(done).getByText("Wrote 1 bundle, applied 2, 1 clock ahead of yours.")).toBeTruthy();
    expect(within(done).getByRole("note").textContent).toBe(`${message}.`);
  });

  it("says, without alarm, how many bundles are for scopes this member's role does not read", async () => {
    vi.mocked(backend.syncStatus).mockResolvedValue({ ...status, rejected: [], sealed: 3 });
    vi.mocked(backend.syncNow).mockResolvedValue({ ...report, rejected: [], forks: [], sealed: 1 });
    render(SyncView, { session, version: 0 });

    const note = await screen.findByText("3 bundles are for scopes your role does not read; they are left unopened.");
    expect(note.closest("[role=alert]")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    const done = await screen.findByRole("region", { name: "What the sync did" });
    expect(within(done).getByText("Wrote 1 bundle, applied 2, 1 not for your role.")).toBeTruthy();
  });
});
