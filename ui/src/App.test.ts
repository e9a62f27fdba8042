import { render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { BackendError } from "./lib/backend";
import { home, useFakeBackend } from "./lib/backend.fake";

vi.mock("./lib/backend", async (real) => ({ ...(await real()), homeInfo: vi.fn(), listPartners: vi.fn() }));

describe("the app", () => {
  it("names the member whose home is open, without a demo badge", async () => {
    useFakeBackend();
    render(App);

    expect(await screen.findByText("Alice Aalders")).toBeTruthy();
    expect(screen.getByText("alice@example.org")).toBeTruthy();
    expect(screen.queryByText("Demo")).toBeNull();
    expect(await screen.findByRole("rowheader", { name: /Acme Cloud/ })).toBeTruthy();
  });

  it("marks the demo home clearly", async () => {
    useFakeBackend({ home: { ...home, name: "Demo Member", demo: true } });
    render(App);

    expect(await screen.findByText("Demo")).toBeTruthy();
    expect(screen.getByText("Demo Member")).toBeTruthy();
    expect(screen.getByRole("note").textContent).toContain("invented");
  });

  it("explains why the home could not be opened", async () => {
    useFakeBackend({
      failure: new BackendError("newer-version", "the home was written by a newer version of Countersign; update Countersign to open it"),
    });
    render(App);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Countersign could not open your home");
    expect(alert.textContent).toContain("update Countersign to open it");
    await waitFor(() => expect(screen.queryByRole("table")).toBeNull());
  });
});
