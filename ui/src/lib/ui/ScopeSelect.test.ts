import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../backend";
import { BackendError } from "../backend";
import { useFakeScopes } from "../backend.fake";
import ScopeSelect from "./ScopeSelect.svelte";

vi.mock("../backend", async (real) => ({ ...(await real()), scopes: vi.fn() }));

const options = (select: HTMLSelectElement) => Array.from(select.options, (o) => [o.value, o.textContent]);

describe("the scope selector", () => {
  beforeEach(() => {
    useFakeScopes();
  });

  it("offers the scopes the member's role reads, each with the roles that read it, starting at the default", async () => {
    render(ScopeSelect, { id: "s", value: "finance", hint: "Who may read it." });

    const select = screen.getByLabelText("Scope") as HTMLSelectElement;
    // The default is there at once, before the answer: the form works without waiting.
    expect(select.value).toBe("finance");
    await waitFor(() =>
      expect(options(select)).toEqual([
        ["all", "all — read by everyone"],
        ["board", "board — read by Board"],
        ["finance", "finance — read by Board, Treasurer"],
      ]),
    );
    // `steering`, read by the steering committee only, is not offered.
    expect(select.value).toBe("finance");
    expect(select.disabled).toBe(false);
    expect(document.getElementById(select.getAttribute("aria-describedby") ?? "")?.textContent).toBe("Who may read it.");

    await fireEvent.change(select, { target: { value: "board" } });
    expect(select.value).toBe("board");
  });

  it("shows a fixed scope as the only choice, not changeable", async () => {
    render(ScopeSelect, { id: "s", value: "board", fixed: true, label: "Readable by" });

    const select = screen.getByLabelText("Readable by") as HTMLSelectElement;
    await waitFor(() => expect(options(select)).toEqual([["board", "board — read by Board"]]));
    expect(select.disabled).toBe(true);
  });

  it("keeps the default when the scopes cannot be read, and says why", async () => {
    vi.mocked(backend.scopes).mockRejectedValue(new BackendError("database-damaged", "the database cannot be read"));
    render(ScopeSelect, { id: "s", value: "all", hint: "Who may read it." });

    const select = screen.getByLabelText("Scope") as HTMLSelectElement;
    await waitFor(() => expect(screen.getByText(/could not be loaded: the database cannot be read/)).toBeTruthy());
    expect(options(select)).toEqual([["all", "all"]]);
    expect(select.value).toBe("all");
    // A side note, not an alarm: the form still works with its default.
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
