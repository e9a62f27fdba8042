import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fundAccounts, reportAnnual, reportAvailable, reportBudget, reportIncome, transactionPage } from "../backend";
import { pageOf } from "./finance.fake";
import FinanceView from "./FinanceView.svelte";

vi.mock("../backend", async (real) => ({
  ...(await real()),
  transactionPage: vi.fn(),
  fundAccounts: vi.fn(),
  reportBudget: vi.fn(),
  reportAvailable: vi.fn(),
  reportIncome: vi.fn(),
  reportAnnual: vi.fn(),
}));

describe("the finance view", () => {
  beforeEach(() => vi.clearAllMocks());

  it("moves between its tabs with the mouse and the keyboard, and reads again after a sync", async () => {
    vi.mocked(fundAccounts).mockResolvedValue([]);
    const page = vi.mocked(transactionPage).mockImplementation(async (filter) => pageOf(250, filter));
    vi.mocked(reportBudget).mockResolvedValue([]);
    vi.mocked(reportAvailable).mockResolvedValue([]);
    vi.mocked(reportIncome).mockResolvedValue([]);
    vi.mocked(reportAnnual).mockImplementation(async (year) => ({ year, source: "opencollective", threshold: "1000", currencies: [] }));
    const { rerender } = render(FinanceView, { version: 0 });

    expect(screen.getByRole("heading", { level: 1, name: "Finance" }).closest(".page-header")).toBeTruthy();
    const tabs = screen.getAllByRole("tab");
    expect(tabs.map((t) => t.textContent?.trim())).toEqual(["Transactions", "Import", "Reports"]);
    const [transactions, importTab, reports] = tabs as [HTMLElement, HTMLElement, HTMLElement];
    expect(transactions.getAttribute("aria-selected")).toBe("true");
    expect(await screen.findByText("250 transactions")).toBeTruthy();

    await fireEvent.click(importTab);
    expect(importTab.getAttribute("aria-selected")).toBe("true");
    expect(screen.getByRole("tabpanel", { name: "Import" }).contains(screen.getByLabelText("File"))).toBe(true);
    expect(screen.queryByRole("table")).toBeNull(); // the list is hidden with its panel

    await fireEvent.keyDown(importTab, { key: "ArrowRight" });
    expect(reports.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(reports);
    expect([transactions, importTab, reports].map((t) => t.tabIndex)).toEqual([-1, -1, 0]);
    expect(await screen.findByText("No budgets are set for " + new Date().getFullYear() + ".")).toBeTruthy();

    await fireEvent.keyDown(reports, { key: "Home" });
    expect(document.activeElement).toBe(transactions);
    expect(transactions.getAttribute("aria-selected")).toBe("true");

    // An automatic sync applied new data: the list and the reports are read again.
    page.mockImplementation(async (filter) => pageOf(251, filter));
    await rerender({ version: 1 });
    expect(await screen.findByText("251 transactions")).toBeTruthy();
    expect(reportBudget).toHaveBeenCalledTimes(2);
  });
});
