import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend";
import { useFakeBackend } from "../backend.fake";
import PartnerList from "./PartnerList.svelte";

vi.mock("../backend", async (real) => ({ ...(await real()), homeInfo: vi.fn(), listPartners: vi.fn() }));

/** The names in the table's rows, top to bottom. */
function shownNames(): string[] {
  const table = screen.queryByRole("table");
  if (!table) return [];
  return within(table)
    .getAllByRole("rowheader")
    .map((cell) => cell.querySelector(".partner-name")?.textContent ?? "");
}

describe("the partner list", () => {
  it("shows every organisation with its kind, stage, owner, tags and last contact", async () => {
    useFakeBackend();
    render(PartnerList);

    await waitFor(() => expect(shownNames()).toHaveLength(4));
    expect(shownNames()).toEqual(["Acme Cloud", "City of Utrecht", "Delft University of Technology", "Ember Systems"]);
    expect(screen.getByRole("status").textContent).toContain("4 organisations");

    const acme = screen.getByRole("rowheader", { name: /Acme Cloud/ }).closest("tr") as HTMLElement;
    const cells = within(acme).getAllByRole("cell").map((c) => c.textContent?.trim());
    expect(cells[0]).toBe("Company");
    expect(cells[1]).toBe("Partner");
    expect(cells[2]).toBe("Alice Aalders");
    expect(within(acme).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["hosting", "sponsor"]);
    expect(within(acme).getByText(/2026/).getAttribute("datetime")).toBe("2026-02-14");

    const utrecht = screen.getByRole("rowheader", { name: /City of Utrecht/ }).closest("tr") as HTMLElement;
    expect(within(utrecht).getByText("Public administration")).toBeTruthy();
    expect(within(utrecht).getByLabelText("No owner")).toBeTruthy();
  });

  it("shows who has claimed an organisation", async () => {
    useFakeBackend();
    render(PartnerList);

    const ember = await screen.findByRole("rowheader", { name: /Ember Systems/ });
    expect(ember.textContent).toMatch(/Claimed by Alice Aalders until/);
  });

  it("narrows the list as the user types a search", async () => {
    const { listPartners } = useFakeBackend();
    render(PartnerList);
    await waitFor(() => expect(shownNames()).toHaveLength(4));

    await fireEvent.input(screen.getByLabelText("Search"), { target: { value: "sponsor" } });

    await waitFor(() => expect(shownNames()).toEqual(["Acme Cloud", "Ember Systems"]));
    expect(screen.getByRole("status").textContent).toContain("2 organisations found");
    expect(listPartners).toHaveBeenLastCalledWith(expect.objectContaining({ search: "sponsor", stage: null }));
  });

  it("filters by stage", async () => {
    const { listPartners } = useFakeBackend();
    render(PartnerList);
    await waitFor(() => expect(shownNames()).toHaveLength(4));

    await fireEvent.change(screen.getByLabelText("Stage"), { target: { value: "partner" } });

    await waitFor(() => expect(shownNames()).toEqual(["Acme Cloud", "Delft University of Technology"]));
    expect(listPartners).toHaveBeenLastCalledWith(expect.objectContaining({ stage: "partner", search: null }));
  });

  it("filters by tag, offering the tags it has seen", async () => {
    const { listPartners } = useFakeBackend();
    render(PartnerList);
    await waitFor(() => expect(shownNames()).toHaveLength(4));
    const tag = screen.getByLabelText("Tag") as HTMLSelectElement;
    expect(Array.from(tag.options, (o) => o.value)).toEqual(["", "government", "hosting", "research", "sponsor"]);

    await fireEvent.change(tag, { target: { value: "sponsor" } });

    await waitFor(() => expect(shownNames()).toEqual(["Acme Cloud", "Ember Systems"]));
    expect(listPartners).toHaveBeenLastCalledWith(expect.objectContaining({ tag: "sponsor", search: null, stage: null }));
    expect(screen.getByRole("status").textContent).toContain("2 organisations found");
  });

  it("says so when nothing matches, and clears the filters on request", async () => {
    useFakeBackend();
    render(PartnerList);
    await waitFor(() => expect(shownNames()).toHaveLength(4));

    await fireEvent.input(screen.getByLabelText("Search"), { target: { value: "zebra" } });

    expect(await screen.findByText("No organisations match “zebra”.")).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Clear search and filter" }));
    await waitFor(() => expect(shownNames()).toHaveLength(4));
    expect((screen.getByLabelText("Search") as HTMLInputElement).value).toBe("");
  });

  it("tells a new member how to record the first organisation", async () => {
    useFakeBackend({ partners: [] });
    render(PartnerList);

    expect(await screen.findByText("No organisations are recorded yet.")).toBeTruthy();
    expect(screen.getByText(/countersign partner add/)).toBeTruthy();
  });

  it("shows the backend's message when the list cannot be loaded, and retries", async () => {
    const failure = new BackendError("database-damaged", "the database state.sqlite cannot be read; run `countersign rebuild`");
    const { listPartners } = useFakeBackend({ failure });
    render(PartnerList);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The organisations could not be loaded.");
    expect(alert.textContent).toContain("run `countersign rebuild`");

    useFakeBackend();
    await fireEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(shownNames()).toHaveLength(4));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(listPartners).toHaveBeenCalled();
  });

  it("moves to the search box when the user presses /", async () => {
    useFakeBackend();
    render(PartnerList);
    await waitFor(() => expect(shownNames()).toHaveLength(4));

    await fireEvent.keyDown(document.body, { key: "/" });

    expect(document.activeElement).toBe(screen.getByLabelText("Search"));
  });
});
