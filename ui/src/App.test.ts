import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import * as backend from "./lib/backend";
import { BackendError } from "./lib/backend";
import { home, useFakeBackend } from "./lib/backend.fake";

vi.mock("./lib/backend", async (real) => ({
  ...(await real()),
  homeInfo: vi.fn(),
  listPartners: vi.fn(),
  session: vi.fn(),
  uiReady: vi.fn(),
  onSync: vi.fn(),
  overview: vi.fn(),
  unlockHome: vi.fn(),
}));

describe("the app", () => {
  it("names the member whose home is open, without a demo badge", async () => {
    useFakeBackend();
    render(App);

    expect(await screen.findByText("Alice Aalders")).toBeTruthy();
    expect(screen.getByText("alice@example.org")).toBeTruthy();
    expect(screen.queryByText("Demo")).toBeNull();
    expect(await screen.findByText("Nothing waits for your signature.")).toBeTruthy();
    expect(screen.getByRole("note").textContent).toContain("not in a workspace");
  });

  it("moves between places from the navigation, marking the current one", async () => {
    useFakeBackend();
    render(App);

    await fireEvent.click(await screen.findByRole("button", { name: "Partners" }));
    expect(await screen.findByRole("button", { name: /Acme Cloud/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Partners" }).getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("button", { name: "Home" }).getAttribute("aria-current")).toBeNull();
  });

  it("marks the demo home clearly", async () => {
    useFakeBackend({ home: { ...home, name: "Demo Member", demo: true } });
    render(App);

    expect(await screen.findByText("Demo")).toBeTruthy();
    expect(screen.getByText("Demo Member")).toBeTruthy();
    expect(screen.getByRole("note").textContent).toContain("invented");

    await fireEvent.click(screen.getByRole("button", { name: "Set up your own home" }));
    expect(await screen.findByRole("heading", { name: "Your key" })).toBeTruthy();
    expect(screen.getByLabelText("Passphrase again")).toBeTruthy();
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

  it("asks for the passphrase when the records are locked, and opens them with it", async () => {
    const fake = { failure: new BackendError("home-locked", "your records are encrypted with your key: enter your passphrase to open them") as BackendError | undefined };
    useFakeBackend(fake);
    vi.mocked(backend.unlockHome).mockImplementation(async (passphrase) => {
      if (passphrase !== "right") throw new BackendError("wrong-passphrase", "wrong passphrase");
      fake.failure = undefined;
      return backend.session();
    });
    render(App);

    expect(await screen.findByRole("heading", { name: "Your records are locked" })).toBeTruthy();
    const input = screen.getByLabelText("Passphrase of your key");
    await fireEvent.input(input, { target: { value: "wrong" } });
    await fireEvent.submit(input.closest("form")!);
    expect(await screen.findByText(/does not unlock your key/)).toBeTruthy();
    await fireEvent.input(input, { target: { value: "right" } });
    await fireEvent.submit(input.closest("form")!);
    expect(await screen.findByText("Alice Aalders")).toBeTruthy();
    expect(vi.mocked(backend.unlockHome)).toHaveBeenLastCalledWith("right", false);
    expect(screen.queryByRole("heading", { name: "Your records are locked" })).toBeNull();
  });
});
