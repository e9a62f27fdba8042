import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { BackendError, choosePath, importFinance } from "../backend";
import { scopeInfos, useFakeScopes } from "../backend.fake";
import type { ImportSummary } from "../bindings/ImportSummary";
import { formatDate } from "../labels";
import ImportWizard from "./ImportWizard.svelte";

vi.mock("../backend", async (real) => ({ ...(await real()), importFinance: vi.fn(), choosePath: vi.fn(), scopes: vi.fn() }));

const summary: ImportSummary = {
  source: "eboekhouden",
  file: "/home/alice/grootboekkaart-1100.txt",
  rows: 5000,
  added: 4200,
  changed: 12,
  unchanged: 788,
  first: "2025-01-02",
  last: "2025-12-31",
  totals: [
    { currency: "EUR", amount: "12345.6700" },
    { currency: "USD", amount: "-250.0000" },
  ],
};

describe("the import wizard", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    useFakeScopes();
  });

  it("imports the chosen file, showing progress and then what changed", async () => {
    vi.mocked(choosePath).mockResolvedValueOnce(summary.file).mockResolvedValueOnce(null);
    let finish: (value: ImportSummary) => void = () => {};
    let report: (done: number) => void = () => {};
    vi.mocked(importFinance).mockImplementation((_source, _path, _scope, onProgress) => {
      onProgress({ stage: "read", done: 0, total: 0 });
      report = (done) => onProgress({ stage: "compare", done, total: 5000 });
      return new Promise((resolve) => (finish = resolve));
    });
    const onImported = vi.fn();
    render(ImportWizard, { onImported });

    await fireEvent.change(screen.getByLabelText("Source"), { target: { value: "eboekhouden" } });
    const file = screen.getByLabelText("File") as HTMLInputElement;
    await fireEvent.click(screen.getByRole("button", { name: "Choose…" }));
    await waitFor(() => expect(file.value).toBe(summary.file));
    expect(choosePath).toHaveBeenCalledWith(false, false);
    // Cancelling the dialog keeps what was there.
    await fireEvent.click(screen.getByRole("button", { name: "Choose…" }));
    await Promise.resolve();
    expect(file.value).toBe(summary.file);

    await fireEvent.click(screen.getByRole("button", { name: "Import" }));

    // Reading, with no total yet: an indeterminate bar.
    const bar = await screen.findByRole("progressbar", { name: "Import progress" });
    expect(bar.hasAttribute("value")).toBe(false);
    expect(screen.getByText("Read…")).toBeTruthy();
    expect(file.closest("fieldset")?.disabled).toBe(true);

    report(1200);
    await waitFor(() => expect(screen.getByText("Compare: 1,200 of 5,000 rows")).toBeTruthy());
    const counted = screen.getByRole("progressbar", { name: "Import progress" }) as HTMLProgressElement;
    expect([counted.value, counted.max]).toEqual([1200, 5000]);
    expect(importFinance).toHaveBeenCalledWith("eboekhouden", summary.file, "finance", expect.any(Function));

    finish(summary);
    const done = await screen.findByRole("status");
    expect(done.classList.contains("import-summary")).toBe(true);
    const text = done.textContent?.replace(/\s+/g, " ") ?? "";
    expect(text).toContain("grootboekkaart-1100.txt");
    const figure = (term: string) => within(done).getByText(term).nextElementSibling?.textContent?.trim();
    expect(figure("Rows read")).toBe("5,000");
    expect(figure("Added")).toBe("4,200");
    expect(figure("Changed")).toBe("12");
    expect(figure("Unchanged")).toBe("788");
    expect(figure("First date")).toBe(formatDate("2025-01-02"));
    expect(figure("Last date")).toBe(formatDate("2025-12-31"));
    const totals = within(done).getByText("Net total").nextElementSibling?.querySelectorAll(".total") ?? [];
    expect(Array.from(totals, (t) => t.textContent)).toEqual(["€12,345.67", "−$250.00"]);
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(file.closest("fieldset")?.disabled).toBe(false);
    expect(onImported).toHaveBeenCalledWith(summary);
  });

  it("shows why a file was refused, and nothing else", async () => {
    const refusal = new BackendError(
      "bad-export",
      "transactions.csv line 42: the amount “12,3x” is not a number; nothing was imported. Export the file again.",
    );
    vi.mocked(importFinance).mockRejectedValue(refusal);
    const onImported = vi.fn();
    render(ImportWizard, { onImported });

    await fireEvent.input(screen.getByLabelText("File"), { target: { value: "/tmp/transactions.csv" } });
    await fireEvent.click(screen.getByRole("button", { name: "Import" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("transactions.csv line 42: the amount “12,3x” is not a number");
    expect(importFinance).toHaveBeenCalledWith("opencollective", "/tmp/transactions.csv", "finance", expect.any(Function));
    expect(document.querySelector(".import-summary")).toBeNull();
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(onImported).not.toHaveBeenCalled();
    // The form is ready for another try.
    expect((screen.getByLabelText("File") as HTMLInputElement).value).toBe("/tmp/transactions.csv");
  });

  it("imports into finance unless another scope the member's role reads is chosen", async () => {
    vi.mocked(importFinance).mockResolvedValue(summary);
    render(ImportWizard, {});

    const scope = screen.getByLabelText("Scope") as HTMLSelectElement;
    expect(scope.value).toBe("finance");
    await waitFor(() => expect(Array.from(scope.options, (o) => o.value)).toEqual(["all", "board", "finance"]));
    await fireEvent.input(screen.getByLabelText("File"), { target: { value: "/tmp/transactions.csv" } });
    await fireEvent.change(scope, { target: { value: "board" } });
    await fireEvent.click(screen.getByRole("button", { name: "Import" }));

    expect(importFinance).toHaveBeenCalledWith("opencollective", "/tmp/transactions.csv", "board", expect.any(Function));
  });

  it("shows a default the member's role does not read as it is, and offers the scopes it does read", async () => {
    // A community-team member reads only `all`: finance is not theirs to write into.
    useFakeScopes(scopeInfos.map((s) => ({ ...s, readable: s.scope === "all" })));
    render(ImportWizard, {});

    const scope = screen.getByLabelText("Scope") as HTMLSelectElement;
    await waitFor(() => expect(Array.from(scope.options, (o) => o.value)).toEqual(["finance", "all"]));
    expect(scope.value).toBe("finance");
    expect(scope.options[0]?.disabled).toBe(true);
    expect(scope.options[0]?.textContent).toBe("finance — your role does not read it");
  });
});
