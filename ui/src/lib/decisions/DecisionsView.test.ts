import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import DecisionsView from "./DecisionsView.svelte";
import { day, session, useFakeDecisions } from "./decisions.fake";

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

/** The titles in the table's rows, top to bottom. */
function shownTitles(): string[] {
  const table = screen.queryByRole("table");
  if (!table) return [];
  return within(table)
    .getAllByRole("rowheader")
    .map((cell) => cell.querySelector("button")?.textContent?.trim() ?? "");
}

function row(title: string): HTMLElement {
  return screen.getByRole("button", { name: title }).closest("tr") as HTMLElement;
}

describe("the decisions view", () => {
  it("filters by what needs me, what is open and what is decided, and shows each row's facts", async () => {
    const { decisions } = useFakeDecisions();
    render(DecisionsView, { session, version: 0 });

    expect(screen.getByRole("heading", { level: 1, name: "Decisions" })).toBeTruthy();
    await waitFor(() => expect(shownTitles()).toEqual(["Travel to the summit for Carol"]));
    expect(decisions).toHaveBeenLastCalledWith({ open: true, needs_me: true });
    expect(screen.getByRole("button", { name: "Needs me" }).getAttribute("aria-pressed")).toBe("true");

    await fireEvent.click(screen.getByRole("button", { name: "Open" }));
    await waitFor(() =>
      expect(shownTitles()).toEqual(["Travel to the summit for Carol", "Sponsor the community booth"]),
    );
    expect(decisions).toHaveBeenLastCalledWith({ open: true, needs_me: false });
    expect(screen.getByRole("button", { name: "Open" }).getAttribute("aria-pressed")).toBe("true");

    // A row: kind, status in words, amount with fund, a close deadline called out, the votes.
    const travel = row("Travel to the summit for Carol");
    const cells = within(travel).getAllByRole("cell");
    expect(cells[0]?.textContent?.trim()).toBe("Spending");
    expect(cells[1]?.textContent?.trim()).toBe("Open");
    expect(cells[2]?.textContent).toContain("€1,500.00");
    expect(cells[2]?.textContent).toContain("events");
    expect(cells[3]?.textContent).toContain("closes in 2 days");
    expect(cells[3]?.classList.contains("soon")).toBe(true);
    expect(cells[3]?.querySelector("time")?.getAttribute("datetime")).toBe(day(2));
    expect(cells[4]?.textContent).toMatch(/1 approval\s*0 objections\s*0 abstentions/);
    expect(travel.textContent).toContain("Needs your vote");
    const booth = row("Sponsor the community booth");
    expect(within(booth).getAllByRole("cell")[3]?.classList.contains("soon")).toBe(false);
    expect(booth.textContent).not.toContain("Needs your vote");

    await fireEvent.click(screen.getByRole("button", { name: "Decided" }));
    await waitFor(() => expect(shownTitles()).toEqual(["Budget 2026", "Adopt the code of conduct"]));
    expect(decisions).toHaveBeenLastCalledWith({ open: false, needs_me: false });
    expect(within(row("Budget 2026")).getAllByRole("cell")[1]?.textContent?.trim()).toBe("Approved");
    // Read by finance only: marked beside its title; a decision every member reads is not.
    expect(within(row("Budget 2026")).getByTitle("Readable by: finance")).toBeTruthy();
    expect(row("Adopt the code of conduct").querySelector(".scope")).toBeNull();
    expect(within(row("Adopt the code of conduct")).getAllByRole("cell")[1]?.textContent?.trim()).toBe("Rejected");

    await fireEvent.click(screen.getByRole("button", { name: "All" }));
    await waitFor(() => expect(shownTitles()).toHaveLength(4));
    expect(screen.getByRole("status").textContent).toContain("4 decisions");
  });

  it("opens the decision it is given, reads it again after a sync, and goes back to the list", async () => {
    const { decision, decisions } = useFakeDecisions();
    const view = render(DecisionsView, { session, version: 0, selected: "3333cccc" });

    expect(await screen.findByRole("heading", { level: 2, name: "Budget 2026" })).toBeTruthy();
    expect(decision).toHaveBeenCalledTimes(1);
    expect(decisions).not.toHaveBeenCalled();

    await view.rerender({ session, version: 1, selected: "3333cccc" });
    await waitFor(() => expect(decision).toHaveBeenCalledTimes(2));

    await fireEvent.click(screen.getByRole("button", { name: /All decisions/ }));
    await waitFor(() => expect(shownTitles()).toEqual(["Travel to the summit for Carol"]));
    expect(screen.queryByRole("heading", { level: 2 })).toBeNull();
  });

  it("proposes a decision from the header and then shows it", async () => {
    const { proposeDecision } = useFakeDecisions();
    render(DecisionsView, { session, version: 0 });
    await waitFor(() => expect(shownTitles()).toHaveLength(1));

    await fireEvent.click(screen.getByRole("button", { name: "Propose a decision" }));
    await fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "other" } });
    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "Move the mailing list" } });
    await fireEvent.click(screen.getByRole("button", { name: "Propose" }));

    expect(await screen.findByRole("heading", { level: 2, name: "Move the mailing list" })).toBeTruthy();
    expect(proposeDecision).toHaveBeenCalledWith(expect.objectContaining({ kind: "other", title: "Move the mailing list" }));
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
  });
});
