import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fundAccounts, transactionPage } from "../backend";
import type { TransactionPage } from "../bindings/TransactionPage";
import { formatDate } from "../labels";
import { pageOf } from "./finance.fake";
import TransactionList from "./TransactionList.svelte";

vi.mock("../backend", async (real) => ({ ...(await real()), transactionPage: vi.fn(), fundAccounts: vi.fn() }));

function useTransactions(total: number) {
  vi.mocked(fundAccounts).mockResolvedValue([
    { account: "opencollective:nixos", fund: "infrastructure", mapped: true, transactions: total },
    { account: "eboekhouden:Algemeen", fund: "general", mapped: true, transactions: 0 },
  ]);
  return vi.mocked(transactionPage).mockImplementation(async (filter) => pageOf(total, filter));
}

/** The data rows drawn, as [aria-rowindex, description]. */
function drawnRows(): [number, string][] {
  const viewport = screen.getByRole("rowgroup", { name: /scroll for more/ });
  // Plain selectors: role queries over hundreds of cells are slow in jsdom.
  return Array.from(viewport.querySelectorAll('[role="row"]'), (row) => [
    Number(row.getAttribute("aria-rowindex")),
    row.querySelectorAll('[role="cell"]')[1]?.textContent ?? "",
  ]);
}

describe("the transaction list", () => {
  beforeEach(() => vi.clearAllMocks());

  it("shows the count and draws only the rows in view of a million", async () => {
    const page = useTransactions(1_000_000);
    render(TransactionList, { version: 0 });

    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("1,000,000 transactions"));
    const table = screen.getByRole("table", { name: /Transactions/ });
    expect(table.getAttribute("aria-rowcount")).toBe("1000001");

    const rows = drawnRows();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]).toEqual([2, "Transaction 0"]);
    // The scroll area is as tall as all rows, though only a window of them exists.
    const viewport = screen.getByRole("rowgroup", { name: /scroll for more/ });
    expect((viewport.firstElementChild as HTMLElement).style.height).toBe("32000000px");
    expect(page).toHaveBeenCalledTimes(1);
    expect(page).toHaveBeenCalledWith(expect.objectContaining({ offset: 0, limit: 100, search: null, year: null }));

    // Columns: the amount as money (negative marked), the fund, the linked decision.
    const spending = within(viewport).getAllByRole("row")[1] as HTMLElement;
    const cells = within(spending).getAllByRole("cell");
    expect(cells.map((c) => c.textContent?.trim())).toEqual([
      formatDate("2026-03-14"),
      "Transaction 1",
      "Acme Cloud",
      "infrastructure",
      "Hosting · nixos",
      "−€1,234.50",
      "✓ Linked to decision 3f9a1c0d",
    ]);
    expect(cells[5]?.classList.contains("negative")).toBe(true);
    expect(within(viewport).getAllByRole("row")[0]?.querySelector(".negative")).toBeNull();
  });

  it("asks for the page at the scroll position and draws its rows", async () => {
    const page = useTransactions(1_000_000);
    render(TransactionList, { version: 0 });
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("1,000,000"));

    const viewport = screen.getByRole("rowgroup", { name: /scroll for more/ });
    viewport.scrollTop = 320_000; // row 10,000 at 32 px a row
    await fireEvent.scroll(viewport);

    await waitFor(() => expect(drawnRows().some(([, text]) => text === "Transaction 10000")).toBe(true));
    const offsets = page.mock.calls.map(([filter]) => filter.offset);
    // The pages around row 10,000 (with a few rows above it), nothing in between.
    expect(offsets.sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([0, 9900, 10000]);
    const rows = drawnRows();
    expect(rows.length).toBeLessThan(60);
    expect(rows.find(([, text]) => text === "Transaction 10000")?.[0]).toBe(10002);
  });

  it("searches once typing pauses, and ignores an answer that arrives too late", async () => {
    vi.mocked(fundAccounts).mockResolvedValue([]);
    let answerSlowly: (page: TransactionPage) => void = () => {};
    const page = vi.mocked(transactionPage).mockImplementation((filter) =>
      filter.search === null
        ? new Promise((resolve) => (answerSlowly = resolve))
        : Promise.resolve(pageOf(3, filter)),
    );
    render(TransactionList, { version: 0 });
    await waitFor(() => expect(page).toHaveBeenCalledTimes(1));

    const search = screen.getByLabelText("Search");
    for (const text of ["a", "ac", "acme"]) await fireEvent.input(search, { target: { value: text } });

    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("3 transactions"));
    expect(page.mock.calls.map(([filter]) => filter.search)).toEqual([null, "acme"]);

    // The unfiltered list answers only now: it must not replace the search's answer.
    answerSlowly(pageOf(1_000_000, { year: null, source: null, fund: null, search: null, limit: 100, offset: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.getByRole("status").textContent).toContain("3 transactions");
    expect(drawnRows().map(([, text]) => text)).toEqual(["Transaction 0", "Transaction 1", "Transaction 2"]);
  });
});
