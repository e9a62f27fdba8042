import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend";
import DecisionForm from "./DecisionForm.svelte";
import { useFakeDecisions } from "./decisions.fake";

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

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

async function fillIn() {
  await fireEvent.change(field("Kind"), { target: { value: "sponsorship" } });
  await fireEvent.input(field("Title"), { target: { value: "Sponsor the sprint" } });
  await fireEvent.input(field("Text"), { target: { value: "We pay the venue.\n\nTwo days in May." } });
  await fireEvent.input(field("Amount"), { target: { value: "1.500,00" } });
  await fireEvent.input(field("Fund"), { target: { value: "outreach" } });
  await fireEvent.input(field("Closes"), { target: { value: "2099-05-01" } });
}

describe("the propose form", () => {
  it("sends the fields as typed, the amount untouched, and reports the new decision", async () => {
    const { proposeDecision } = useFakeDecisions();
    const onDone = vi.fn();
    render(DecisionForm, { onDone, onCancel: vi.fn() });

    expect(field("Currency").value).toBe("EUR");
    const kinds = Array.from((field("Kind") as unknown as HTMLSelectElement).options).map((o) => o.value);
    expect(kinds).not.toContain("roster");
    expect(kinds).not.toContain("rules");
    await fillIn();
    await fireEvent.click(screen.getByRole("button", { name: "Propose" }));

    await vi.waitFor(() => expect(onDone).toHaveBeenCalledWith("9999ffff"));
    expect(proposeDecision).toHaveBeenCalledWith({
      kind: "sponsorship",
      title: "Sponsor the sprint",
      body: "We pay the venue.\n\nTwo days in May.",
      amount: "1.500,00",
      currency: "EUR",
      fund: "outreach",
      closes: "2099-05-01",
      scope: "all",
    });
  });

  it("shows what the backend refused next to the form and keeps what was typed", async () => {
    const { proposeDecision } = useFakeDecisions();
    proposeDecision.mockRejectedValue(
      new BackendError("invalid", "the amount \"1,500\" is ambiguous (thousands or decimals?); write 1500 or 1500.00"),
    );
    const onDone = vi.fn();
    render(DecisionForm, { onDone, onCancel: vi.fn() });
    await fillIn();
    await fireEvent.input(field("Amount"), { target: { value: "1,500" } });
    await fireEvent.click(screen.getByRole("button", { name: "Propose" }));

    expect((await screen.findByRole("alert")).textContent).toContain("is ambiguous");
    expect(onDone).not.toHaveBeenCalled();
    expect(field("Kind").value).toBe("sponsorship");
    expect(field("Title").value).toBe("Sponsor the sprint");
    expect(field("Text").value).toBe("We pay the venue.\n\nTwo days in May.");
    expect(field("Amount").value).toBe("1,500");
    expect(field("Fund").value).toBe("outreach");
    expect(field("Closes").value).toBe("2099-05-01");
    expect((screen.getByRole("button", { name: "Propose" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("offers the scopes the member's role reads and proposes in the one chosen", async () => {
    const { proposeDecision } = useFakeDecisions();
    render(DecisionForm, { onDone: vi.fn(), onCancel: vi.fn() });

    const scope = screen.getByLabelText("Scope") as HTMLSelectElement;
    expect(scope.value).toBe("all");
    await vi.waitFor(() => expect(Array.from(scope.options, (o) => o.value)).toEqual(["all", "board", "finance"]));
    await fillIn();
    await fireEvent.change(scope, { target: { value: "finance" } });
    await fireEvent.click(screen.getByRole("button", { name: "Propose" }));

    await vi.waitFor(() => expect(proposeDecision).toHaveBeenCalledWith(expect.objectContaining({ scope: "finance" })));
  });

  it("keeps an amendment in its decision's scope", async () => {
    const { rows, amendDecision } = useFakeDecisions();
    const budget = { ...rows.find((d) => d.id === "3333cccc")!, status: "open" as const };
    const onDone = vi.fn();
    render(DecisionForm, { amending: budget, onDone, onCancel: vi.fn() });

    const scope = screen.getByLabelText("Scope") as HTMLSelectElement;
    expect(scope.disabled).toBe(true);
    expect(Array.from(scope.options, (o) => o.value)).toEqual(["finance"]);
    expect(screen.getByText("An amendment stays in the decision's scope.")).toBeTruthy();
    await fireEvent.input(field("Title"), { target: { value: "Budget 2026, revised" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save amendment" }));

    // None is sent: the core keeps the decision where it is.
    await vi.waitFor(() => expect(onDone).toHaveBeenCalledWith("3333cccc"));
    expect(amendDecision).toHaveBeenCalledWith("3333cccc", expect.objectContaining({ title: "Budget 2026, revised", scope: null }));
  });
});
