import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import DecisionDetail from "./DecisionDetail.svelte";
import { PASSPHRASE, session, useFakeDecisions } from "./decisions.fake";

vi.mock("../backend", async (real) => ({
  ...(await real()),
  decisions: vi.fn(),
  decision: vi.fn(),
  decisionImpact: vi.fn(),
  vote: vi.fn(),
  proposeDecision: vi.fn(),
  amendDecision: vi.fn(),
  withdrawDecision: vi.fn(),
  exportDecision: vi.fn(),
  choosePath: vi.fn(),
  scopes: vi.fn(),
}));

function show(id: string) {
  const onBack = vi.fn();
  const onAmend = vi.fn();
  const view = render(DecisionDetail, { id, session, version: 0, onBack, onAmend });
  return { ...view, onBack, onAmend };
}

/** The status badge's word. */
function statusWord(container: HTMLElement): string | undefined {
  return container.querySelector(".status")?.textContent?.trim();
}

describe("a decision in full", () => {
  it("shows the decision, what approving it does, and every vote with whether its signature verifies", async () => {
    useFakeDecisions();
    const { container } = show("1111aaaa");

    expect(await screen.findByRole("heading", { level: 2, name: "Travel to the summit for Carol" })).toBeTruthy();
    expect(statusWord(container)).toBe("Open");
    expect(container.querySelector(".scope")).toBeNull(); // every member reads it
    expect(container.textContent).toContain('needs 2 approvals under "majority board"');
    expect(container.textContent).toContain("1 of 2 approvals needed");
    expect(container.querySelector(".document")?.textContent).toBe(
      "Carol presents the project at the summit.\n\n- train: 400\n- hotel: 1100",
    );
    expect(screen.getAllByText("11111111…1111")[0]?.getAttribute("title")).toBe("1".repeat(64));
    expect(container.querySelector(".full-hash")?.textContent).toBe("1".repeat(64));

    const impact = await screen.findByRole("region", { name: "What approving it does" });
    expect(impact.textContent).toContain("events");
    expect(within(impact).getByText("Available now").nextElementSibling?.textContent).toContain("€3,000.00");
    expect(within(impact).getByText("Available after").nextElementSibling?.textContent).toContain("€1,500.00");

    const votes = within(screen.getByRole("region", { name: "Votes" })).getAllByRole("listitem");
    expect(votes).toHaveLength(2);
    expect(votes[0]?.textContent).toContain("Bob Bakker");
    expect(votes[0]?.textContent).toContain("Approves");
    expect(votes[0]?.textContent).toContain("Worth the visibility");
    expect(within(votes[0] as HTMLElement).getByText("Signature verified")).toBeTruthy();
    expect(votes[1]?.textContent).toContain("Carol de Clercq");
    expect(within(votes[1] as HTMLElement).getByText("Signature does not verify")).toBeTruthy();
    expect(votes[1]?.textContent).toContain("on an earlier version");

    // Bob proposed it: Alice votes, but neither amends nor withdraws it.
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Amend" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Withdraw" })).toBeNull();
  });

  it("asks for the passphrase when approving needs it, sends it, and shows the decision approved", async () => {
    const { vote } = useFakeDecisions();
    const { container } = show("1111aaaa");
    await screen.findByRole("heading", { level: 2, name: "Travel to the summit for Carol" });

    await fireEvent.click(screen.getByRole("button", { name: "Approve" }));

    const dialog = await screen.findByRole("dialog", { name: "Sign your approval" });
    expect(vote).toHaveBeenCalledWith("1111aaaa", "approve", null, null, false);
    await fireEvent.input(within(dialog).getByLabelText("Passphrase of your key"), { target: { value: PASSPHRASE } });
    await fireEvent.click(within(dialog).getByLabelText(/Remember it/));
    await fireEvent.click(within(dialog).getByRole("button", { name: "Continue" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(vote).toHaveBeenLastCalledWith("1111aaaa", "approve", null, PASSPHRASE, true);
    expect(statusWord(container)).toBe("Approved");
    expect(screen.getByText("Your approval is signed and recorded.")).toBeTruthy();
    const votes = within(screen.getByRole("region", { name: "Votes" })).getAllByRole("listitem");
    expect(votes.at(-1)?.textContent).toMatch(/Alice Aalders\s*Approves/);
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    const impact = await screen.findByRole("region", { name: "What approving it does" });
    await waitFor(() => expect(impact.textContent).toContain("already counted"));
  });

  it("keeps the passphrase dialog open with a message when the passphrase is wrong", async () => {
    const { vote } = useFakeDecisions();
    const { container } = show("1111aaaa");
    await screen.findByRole("heading", { level: 2, name: "Travel to the summit for Carol" });

    await fireEvent.input(screen.getByLabelText("Reason"), { target: { value: "Fine by me" } });
    await fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    const dialog = await screen.findByRole("dialog", { name: "Sign your approval" });
    await fireEvent.input(within(dialog).getByLabelText("Passphrase of your key"), { target: { value: "hunter2" } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Continue" }));

    expect((await within(dialog).findByRole("alert")).textContent).toContain("That passphrase does not unlock your key");
    expect(screen.getByRole("dialog", { name: "Sign your approval" })).toBe(dialog);
    expect(vote).toHaveBeenLastCalledWith("1111aaaa", "approve", "Fine by me", "hunter2", false);
    expect(statusWord(container)).toBe("Open");

    // The right one then signs, with the reason typed before.
    await fireEvent.input(within(dialog).getByLabelText("Passphrase of your key"), { target: { value: PASSPHRASE } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(vote).toHaveBeenLastCalledWith("1111aaaa", "approve", "Fine by me", PASSPHRASE, false);
  });

  it("signs without asking when the keyring holds the passphrase, with the reason given", async () => {
    const { vote } = useFakeDecisions({ keyringHolds: true });
    const { container } = show("1111aaaa");
    await screen.findByRole("heading", { level: 2, name: "Travel to the summit for Carol" });

    await fireEvent.input(screen.getByLabelText("Reason"), { target: { value: "  Too expensive this year  " } });
    await fireEvent.click(screen.getByRole("button", { name: "Object" }));

    expect(await screen.findByText("Your objection is signed and recorded.")).toBeTruthy();
    expect(vote).toHaveBeenCalledTimes(1);
    expect(vote).toHaveBeenCalledWith("1111aaaa", "object", "Too expensive this year", null, false);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(statusWord(container)).toBe("Open");
    // Alice voted already: she may still change her vote.
    expect(screen.getByText(/You voted:/).textContent).toContain("Objects");
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
    expect((screen.getByLabelText("Reason") as HTMLTextAreaElement).value).toBe("");
  });

  it("lets the proposer amend, withdraw after confirming, and export for auditors", async () => {
    const { withdrawDecision, exportDecision, choosePath } = useFakeDecisions();
    const { container, onAmend } = show("2222bbbb");
    await screen.findByRole("heading", { level: 2, name: "Sponsor the community booth" });

    await fireEvent.click(screen.getByRole("button", { name: "Amend" }));
    expect(onAmend).toHaveBeenCalledWith(expect.objectContaining({ id: "2222bbbb", title: "Sponsor the community booth" }));

    await fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    expect(withdrawDecision).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Keep it open" }));
    await fireEvent.click(screen.getByRole("button", { name: "Yes, withdraw it" }));

    await waitFor(() => expect(statusWord(container)).toBe("Withdrawn"));
    expect(withdrawDecision).toHaveBeenCalledWith("2222bbbb");
    expect(screen.queryByRole("button", { name: "Amend" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Export for auditors" }));
    const report = await screen.findByText(/Wrote 4 files for auditors to/);
    expect(choosePath).toHaveBeenCalledWith(true, false);
    expect(exportDecision).toHaveBeenCalledWith("2222bbbb", "/home/alice/audit");
    expect(report.textContent).toContain("/home/alice/audit/decision-2222bbbb");
  });

  it("marks a decision only some roles read", async () => {
    useFakeDecisions();
    const { container } = show("3333cccc");

    await screen.findByRole("heading", { level: 2, name: "Budget 2026" });
    const mark = within(container.querySelector(".status-line") as HTMLElement).getByTitle("Readable by: finance");
    expect(mark.textContent).toMatch(/Readable by:\s*finance/);
  });
});
