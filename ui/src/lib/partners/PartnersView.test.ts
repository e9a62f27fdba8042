import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import PartnersView from "./PartnersView.svelte";
import { manyPartners, session, useFakePartners } from "./partners.fake";

vi.mock("../backend", async (real) => ({
  ...(await real()),
  listPartners: vi.fn(),
  partnerDetail: vi.fn(),
  addPartner: vi.fn(),
  updatePartner: vi.fn(),
  addContact: vi.fn(),
  logInteraction: vi.fn(),
  claimPartner: vi.fn(),
  scopes: vi.fn(),
}));

/** The organisation names rendered in the list, top to bottom (a selector: role queries are slow in jsdom). */
function renderedNames(): string[] {
  return Array.from(document.querySelectorAll("tbody th .partner-name"), (e) => e.textContent ?? "");
}

describe("the partners view", () => {
  it("renders only a window of 10,000 organisations, counts them all, and moves the window as it scrolls", async () => {
    const { listPartners } = useFakePartners(manyPartners(10_000));
    render(PartnersView, { session, version: 0 });

    expect(screen.getByRole("heading", { level: 1, name: "Partners" })).toBeTruthy();
    await waitFor(() => expect(screen.getByRole("status").textContent).toMatch(/10\D?000 organisations/));
    const table = screen.getByRole("table");
    expect(table.getAttribute("aria-rowcount")).toBe("10001");
    const names = renderedNames();
    expect(names[0]).toBe("Organisation 00001");
    expect(names.length).toBeGreaterThan(10);
    expect(names.length).toBeLessThan(60);
    expect(listPartners).toHaveBeenCalledTimes(1);

    const viewport = table.parentElement as HTMLElement;
    viewport.scrollTop = 5000 * 56;
    await fireEvent.scroll(viewport);
    await waitFor(() => expect(renderedNames()).toContain("Organisation 05001"));
    expect(renderedNames()).not.toContain("Organisation 00001");
    expect(renderedNames().length).toBeLessThan(60);

    // The keyboard reaches rows that are not rendered yet.
    const row = screen.getByRole("button", { name: "Organisation 05001" });
    row.focus();
    await fireEvent.keyDown(row, { key: "End" });
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Organisation 10000"));
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: "ArrowUp" });
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Organisation 09999"));
  });

  it("opens an organisation with its contacts and its log, newest first, and goes back to it in the list", async () => {
    const { records } = useFakePartners();
    records[1]?.interactions.reverse(); // the view orders the log itself
    render(PartnersView, { session, version: 0 });

    await fireEvent.click(await screen.findByRole("button", { name: "Borealis Compute" }));

    const heading = await screen.findByRole("heading", { level: 2, name: "Borealis Compute" });
    expect(document.activeElement).toBe(heading);
    expect(screen.queryByRole("table", { name: /Organisations/ })).toBeNull();

    const contacts = screen.getByRole("region", { name: "Contacts" });
    expect(within(contacts).getByText("Mira Holm")).toBeTruthy();
    expect(within(contacts).getByText("Head of open source")).toBeTruthy();
    expect(within(contacts).getByText("Tor Berg")).toBeTruthy();

    const log = screen.getByRole("region", { name: "Contact log" });
    const [, newest, oldest] = within(log).getAllByRole("row");
    const cells = within(newest as HTMLElement)
      .getAllByRole("cell")
      .map((c) => c.textContent?.trim());
    expect(cells.slice(1)).toEqual(["Meeting", "Ada Lindqvist", "Presented the sponsorship tiers", "Send the proposal", expect.stringMatching(/2026/)]);
    expect(oldest?.textContent).toContain("First introduction");
    expect(oldest?.textContent).toContain("You");

    await fireEvent.click(screen.getByRole("button", { name: /Back to the list/ }));

    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Borealis Compute" })));
    expect(screen.queryByRole("heading", { level: 2 })).toBeNull();
  });

  it("adds an organisation with the fields given and opens it", async () => {
    const { addPartner } = useFakePartners();
    render(PartnersView, { session, version: 0 });

    await fireEvent.click(screen.getByRole("button", { name: "Add organisation" }));
    const form = screen.getByRole("region", { name: "Add an organisation" });
    expect(document.activeElement).toBe(within(form).getByLabelText("Name"));
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Nordic Cloud" } });
    await fireEvent.change(within(form).getByLabelText("Kind"), { target: { value: "community" } });
    await fireEvent.change(within(form).getByLabelText("Stage"), { target: { value: "contacted" } });
    await fireEvent.input(within(form).getByLabelText("Tags"), { target: { value: "hosting, Sponsor , " } });
    await fireEvent.input(within(form).getByLabelText("Website"), { target: { value: "https://nordic.example" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Add" }));

    expect(addPartner).toHaveBeenCalledWith({
      name: "Nordic Cloud",
      kind: "community",
      stage: "contacted",
      tags: ["hosting", "Sponsor"],
      website: "https://nordic.example",
      // Untouched, the scope selector keeps the default: every member reads it.
      scope: "all",
    });
    expect(await screen.findByRole("heading", { level: 2, name: "Nordic Cloud" })).toBeTruthy();
  });

  it("shows a duplicate name as an error and keeps what was typed", async () => {
    const { addPartner } = useFakePartners();
    render(PartnersView, { session, version: 0 });

    await fireEvent.click(screen.getByRole("button", { name: "Add organisation" }));
    await fireEvent.input(screen.getByLabelText("Name"), { target: { value: "borealis compute" } });
    await fireEvent.input(screen.getByLabelText("Tags"), { target: { value: "hpc" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("An organisation named “borealis compute” is already recorded.");
    expect(addPartner).toHaveBeenCalledTimes(1);
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("borealis compute");
    expect((screen.getByLabelText("Tags") as HTMLInputElement).value).toBe("hpc");
    expect(screen.getByLabelText("Name").getAttribute("aria-invalid")).toBe("true");

    await fireEvent.click(within(alert).getByRole("button", { name: "Open borealis compute" }));
    expect(await screen.findByRole("heading", { level: 2, name: "Borealis Compute" })).toBeTruthy();
  });

  it("opens the selected organisation and reads everything again after a sync", async () => {
    const { listPartners, partnerDetail } = useFakePartners();
    const { rerender } = render(PartnersView, { session, version: 0, selected: "Acme Cloud" });

    expect(await screen.findByRole("heading", { level: 2, name: "Acme Cloud" })).toBeTruthy();
    await waitFor(() => expect(listPartners).toHaveBeenCalledTimes(1));
    expect(partnerDetail).toHaveBeenCalledTimes(1);

    await rerender({ version: 1 });

    await waitFor(() => expect(partnerDetail).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(listPartners).toHaveBeenCalledTimes(2));
    expect(screen.getByRole("heading", { level: 2, name: "Acme Cloud" })).toBeTruthy();
  });

  it("adds an organisation only some roles read, offering only the scopes the member's role reads, and marks it", async () => {
    const { addPartner } = useFakePartners();
    render(PartnersView, { session, version: 0 });
    const dunmore = (await screen.findByRole("button", { name: "Dunmore Foundation" })).closest("th") as HTMLElement;
    expect(within(dunmore).getByTitle("Readable by: board")).toBeTruthy();
    const acme = screen.getByRole("button", { name: "Acme Cloud" }).closest("th") as HTMLElement;
    expect(acme.querySelector(".scope")).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Add organisation" }));
    const form = screen.getByRole("region", { name: "Add an organisation" });
    const scope = within(form).getByLabelText("Scope") as HTMLSelectElement;
    expect(scope.value).toBe("all");
    await waitFor(() => expect(Array.from(scope.options, (o) => o.value)).toEqual(["all", "board", "finance"]));
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Quiet Grants Trust" } });
    await fireEvent.change(scope, { target: { value: "board" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Add" }));

    expect(addPartner).toHaveBeenCalledWith(expect.objectContaining({ name: "Quiet Grants Trust", scope: "board" }));
    await screen.findByRole("heading", { level: 2, name: "Quiet Grants Trust" });
    expect(within(document.querySelector("header.title") as HTMLElement).getByTitle("Readable by: board")).toBeTruthy();
  });
});
