import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  BackendError,
  choosePath,
  exportReportCsv,
  reportAnnual,
  reportAvailable,
  reportBudget,
  reportIncome,
} from "../backend";
import type { IncomeLine } from "../bindings/IncomeLine";
import { monthName, thisYear } from "./format";
import Reports from "./Reports.svelte";

vi.mock("../backend", async (real) => ({
  ...(await real()),
  reportBudget: vi.fn(),
  reportAvailable: vi.fn(),
  reportIncome: vi.fn(),
  reportAnnual: vi.fn(),
  choosePath: vi.fn(),
  exportReportCsv: vi.fn(),
}));

const income = (period: string, direction: string, category: string, amount: string): IncomeLine => ({
  period,
  direction,
  category,
  currency: "EUR",
  amount,
});

function useReports() {
  vi.mocked(reportBudget).mockImplementation(async (year) => [
    { fund: "infrastructure", currency: "EUR", year, source: "eboekhouden", budget: "25000.00", actual: "8000.50", remaining: "16999.50", percent: "32.0" },
    { fund: "events", currency: "EUR", year, source: "eboekhouden", budget: "5000.00", actual: "6200.00", remaining: "-1200.00", percent: "124.0" },
  ]);
  vi.mocked(reportAvailable).mockImplementation(async (year) => [
    { fund: "infrastructure", currency: "EUR", year: year ?? 0, source: "eboekhouden", budget: "25000.00", spent: "8000.50", committed: "3000.00", available: "13999.50", decisions: [] },
    { fund: "events", currency: "EUR", year: year ?? 0, source: "eboekhouden", budget: "5000.00", spent: "6200.00", committed: "0.00", available: "-1200.00", decisions: [] },
  ]);
  vi.mocked(reportIncome).mockImplementation(async (year, period) =>
    period === "month"
      ? [
          income(`${year}-01`, "income", "Donations", "500.10"),
          income(`${year}-01`, "expenditure", "Hosting", "200.05"),
          income(`${year}-01`, "expenditure", "Fees deducted at source", "0.05"),
          income(`${year}-02`, "expenditure", "Hosting", "50.00"),
        ]
      : [
          income(`${year}`, "income", "Donations", "1500.10"),
          income(`${year}`, "income", "Grants", "20000.00"),
          income(`${year}`, "expenditure", "Hosting", "250.05"),
        ],
  );
  vi.mocked(reportAnnual).mockImplementation(async (year) => ({
    year,
    source: "eboekhouden",
    threshold: "1000",
    currencies: [
      { currency: "EUR", opening: "1000.00", income: [], income_total: "0", expenditure: [], expenditure_total: "0", significant: [], closing: "0" },
    ],
  }));
}

/** The cells of the table row headed `name`, as text. */
function rowOf(table: HTMLElement, name: string | RegExp): string[] {
  const row = within(table).getByRole("rowheader", { name }).closest("tr") as HTMLElement;
  return within(row)
    .getAllByRole("cell")
    .map((c) => c.textContent?.trim() ?? "");
}

describe("the reports", () => {
  beforeEach(() => vi.clearAllMocks());

  it("shows each report's figures in its table for the chosen year", async () => {
    useReports();
    render(Reports, { version: 0 });
    await waitFor(() => expect(reportBudget).toHaveBeenCalledWith(thisYear()));

    await fireEvent.change(screen.getByLabelText("Year"), { target: { value: "2025" } });
    await waitFor(() => expect(reportIncome).toHaveBeenCalledWith(2025, "month"));
    expect(reportAvailable).toHaveBeenLastCalledWith(2025);
    expect(reportIncome).toHaveBeenLastCalledWith(2025, "year");

    const budget = screen.getByRole("region", { name: "Budget against actual" });
    const available = await within(budget).findByRole("table", { name: "Available per fund" });
    expect(rowOf(available, "infrastructure")).toEqual(["€25,000.00", "€8,000.50", "€3,000.00", "€13,999.50"]);
    const overspent = rowOf(available, "events");
    expect(overspent[3]).toBe("−€1,200.00");
    const chart = within(budget).getByRole("img", { name: /Budget against actual spending per fund in 2025/ });
    expect(chart.querySelectorAll("rect.bar")).toHaveLength(4);
    const data = within(budget).getByRole("table", { name: /Budget against actual per fund, 2025/ });
    expect(rowOf(data, "events")).toEqual(["€5,000.00", "€6,200.00", "−€1,200.00", "124.0%"]);

    // The balance: the opening balance from the annual report, plus each month's net, to the cent.
    const balance = screen.getByRole("region", { name: "Balance over time" });
    const months = within(balance).getByRole("table");
    const [january, february, december] = ["01", "02", "12"].map((m) => rowOf(months, monthName(`2025-${m}`)));
    expect(january).toEqual(["€500.10", "€200.10", "€300.00", "€1,300.00"]);
    expect(february).toEqual(["€0.00", "€50.00", "−€50.00", "€1,250.00"]);
    expect(december?.[3]).toBe("€1,250.00");
    expect(within(balance).getByText(/Opening balance €1,000.00/)).toBeTruthy();

    const byCategory = within(screen.getByRole("region", { name: "Income by source" })).getByRole("table");
    expect(rowOf(byCategory, "Grants")).toEqual(["€20,000.00"]);
    expect(rowOf(byCategory, "Donations")).toEqual(["€1,500.10"]);
    expect(rowOf(byCategory, "Total")).toEqual(["€21,500.10"]);
    expect(within(byCategory).queryByText("Hosting")).toBeNull();
    expect(screen.getByText("Figures from e-boekhouden")).toBeTruthy();
  });

  it("exports a report as CSV to the file the member chooses", async () => {
    useReports();
    vi.mocked(exportReportCsv).mockResolvedValue(undefined);
    vi.mocked(choosePath).mockResolvedValueOnce("/home/alice/budget-2026.csv").mockResolvedValueOnce(null);
    render(Reports, { version: 0 });
    const budget = screen.getByRole("region", { name: "Budget against actual" });
    await within(budget).findByRole("table", { name: "Available per fund" });

    await fireEvent.click(within(budget).getByRole("button", { name: "Export CSV" }));

    await waitFor(() => expect(within(budget).getByText(/Saved to/).textContent).toContain("/home/alice/budget-2026.csv"));
    expect(choosePath).toHaveBeenCalledWith(false, true);
    expect(exportReportCsv).toHaveBeenCalledWith(
      { kind: "available", year: thisYear(), source: null, by: null, period: null, threshold: null },
      "/home/alice/budget-2026.csv",
    );

    // Cancelling the save dialog writes nothing.
    const balance = screen.getByRole("region", { name: "Balance over time" });
    await fireEvent.click(within(balance).getByRole("button", { name: "Export CSV" }));
    await waitFor(() => expect(choosePath).toHaveBeenCalledTimes(2));
    expect(exportReportCsv).toHaveBeenCalledTimes(1);

    // A refusal (the file exists) is shown with the report.
    vi.mocked(choosePath).mockResolvedValueOnce("/home/alice/income.csv");
    vi.mocked(exportReportCsv).mockRejectedValueOnce(
      new BackendError("exists", "/home/alice/income.csv exists already; choose another name"),
    );
    const byCategory = screen.getByRole("region", { name: "Income by source" });
    await fireEvent.click(within(byCategory).getByRole("button", { name: "Export CSV" }));
    const alert = await within(byCategory).findByRole("alert");
    expect(alert.textContent).toContain("exists already; choose another name");
    expect(exportReportCsv).toHaveBeenLastCalledWith(
      expect.objectContaining({ kind: "income", period: "year" }),
      "/home/alice/income.csv",
    );
  });
});
