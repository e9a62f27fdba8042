import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../backend";
import { home, member } from "../backend.fake";
import type { Session } from "../bindings/Session";
import type { WorkspaceInfo } from "../bindings/WorkspaceInfo";
import MembersView from "./MembersView.svelte";

vi.mock("../backend", async (real) => ({
  ...(await real()),
  workspaceInfo: vi.fn(),
  proposeRosterChange: vi.fn(),
}));

const bob = { fingerprint: "B0B01111B0B02222B0B03333B0B04444B0B05555", name: "Bob Bakker", email: "bob@example.org" };

const workspace: WorkspaceInfo = {
  id: "7d3f0a9c2b1e4f5a8c6d0e1f",
  name: "Foundation board",
  folder: "/home/alice/Sync/board",
  created: "2026-01-05T10:00:00Z",
  creator: member.fingerprint,
  roster: [
    { fingerprint: member.fingerprint, name: member.name, email: home.email, role: "treasurer" },
    { ...bob, role: "board" },
  ],
  rules: {
    decisions: { budget: "majority board", roster: "majority board", sponsorship: "at-least 4 of sc" },
    funding_expiry_months: 12,
    access: { board: ["board", "finance", "all"], team: ["all"] },
  },
};

const session: Session = { home, workspace, unlocked: false, remembered: false, keyring: true };

describe("the members view", () => {
  beforeEach(() => {
    vi.mocked(backend.workspaceInfo).mockReset().mockResolvedValue(workspace);
    vi.mocked(backend.proposeRosterChange).mockReset();
  });

  it("shows the workspace, its roster with roles and fingerprints, and the rules in force", async () => {
    render(MembersView, { session, version: 0, onSession: vi.fn(), onNavigate: vi.fn() });
    await waitFor(() => expect(backend.workspaceInfo).toHaveBeenCalled());

    const place = screen.getByRole("region", { name: "Workspace" });
    expect(place.textContent).toContain("Foundation board");
    expect(within(place).getByText("7d3f0a9c2b1e…").getAttribute("title")).toBe(workspace.id);

    const roster = screen.getByRole("table", { name: "Members of the workspace with their roles" });
    const bobRow = within(roster).getByRole("rowheader", { name: "Bob Bakker" }).closest("tr") as HTMLElement;
    expect(within(bobRow).getAllByRole("cell").map((c) => c.textContent?.trim())).toEqual([
      "bob@example.org",
      "Board",
      "B0B0 1111 B0B0 2222 B0B0 3333 B0B0 4444 B0B0 5555",
    ]);
    expect(within(roster).getByRole("rowheader", { name: /Alice Aalders\s*\(you\)/ })).toBeTruthy();

    const rules = screen.getByRole("region", { name: "Rules in force" });
    expect(rules.textContent).toMatch(/Sponsorship\s*at-least 4 of sc/);
    // Who reads what: every role, the scopes it reads (`all` is everyone's), and who holds it.
    const access = within(rules).getByRole("table", { name: "Who reads what" });
    const reads = (role: string) =>
      within(within(access).getByRole("rowheader", { name: role }).closest("tr") as HTMLElement)
        .getAllByRole("cell")
        .map((c) => c.textContent?.trim());
    expect(reads("Board")).toEqual(["board records, finance records, shared records", "Bob Bakker"]);
    expect(reads("Treasurer")).toEqual(["shared records", "Alice Aalders"]);
    expect(reads("Community team")).toEqual(["shared records", "nobody"]);
    expect(rules.textContent).toContain("encrypted only to the members whose role reads that scope");
    expect(rules.textContent).toContain("Approved funding expires after 12 months.");

    const key = screen.getByRole("region", { name: "Your key" });
    expect(key.textContent).toContain("A1B2 C3D4 E5F6 0718 293A 4B5C 6D7E 8F90 1234 5678");
    expect(within(key).getByRole("button", { name: "Remember passphrase" })).toBeTruthy();
  });

  it("proposes a role change and opens the decision it created", async () => {
    vi.mocked(backend.proposeRosterChange).mockResolvedValue("dec-42");
    const onNavigate = vi.fn();
    render(MembersView, { session, version: 0, onSession: vi.fn(), onNavigate });

    const form = screen.getByRole("region", { name: "Propose a roster change" });
    await fireEvent.change(within(form).getByLabelText("Change"), { target: { value: "role" } });
    await fireEvent.change(within(form).getByLabelText("Member"), { target: { value: bob.fingerprint } });

    // Bob already is on the board: the form says so instead of proposing nothing.
    await fireEvent.change(within(form).getByLabelText("New role"), { target: { value: "board" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Propose change" }));
    expect(within(form).getByRole("alert").textContent).toContain("Bob Bakker already has the role Board");
    expect(backend.proposeRosterChange).not.toHaveBeenCalled();

    await fireEvent.change(within(form).getByLabelText("New role"), { target: { value: "treasurer" } });
    await fireEvent.input(within(form).getByLabelText("Closes (optional)"), { target: { value: "2026-04-30" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Propose change" }));

    await waitFor(() => expect(onNavigate).toHaveBeenCalledWith("decisions", "dec-42"));
    expect(backend.proposeRosterChange).toHaveBeenCalledWith(
      { action: "role", fingerprint: bob.fingerprint, role: "treasurer" },
      "2026-04-30",
    );
  });

  it("says plainly, by a removal or a role change, that what was shared stays shared", async () => {
    render(MembersView, { session, version: 0, onSession: vi.fn(), onNavigate: vi.fn() });
    const form = screen.getByRole("region", { name: "Propose a roster change" });
    expect(form.textContent).not.toContain("stops new bundles");

    for (const action of ["remove", "role"]) {
      await fireEvent.change(within(form).getByLabelText("Change"), { target: { value: action } });
      const text = form.textContent?.replace(/\s+/g, " ") ?? "";
      expect(text).toContain("Removing a member stops new bundles from being encrypted to them;");
      expect(text).toContain("a role change does the same for the scopes their new role does not read.");
      expect(text).toContain("What they could read before stays readable to them");
      expect(text).toContain("encryption cannot take back what was already shared");
    }
  });
});
