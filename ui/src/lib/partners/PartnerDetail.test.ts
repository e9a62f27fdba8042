import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend";
import PartnerDetail from "./PartnerDetail.svelte";
import { FUTURE, ada, session, useFakePartners } from "./partners.fake";

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

async function openDetail(name: string) {
  render(PartnerDetail, { name, session, version: 0, onBack: vi.fn() });
  await screen.findByRole("heading", { level: 2, name });
}

async function fillLogForm() {
  await fireEvent.change(screen.getByLabelText("Channel"), { target: { value: "call" } });
  await fireEvent.input(screen.getByLabelText("Summary"), { target: { value: "Asked about the hosting sponsorship" } });
  await fireEvent.input(screen.getByLabelText("Next step"), { target: { value: "Send the tiers" } });
  await fireEvent.input(screen.getByLabelText("Due"), { target: { value: "2026-05-04" } });
}

// These organisations are read by everyone: a note goes to their scope, `all`, unless narrowed.
const sent = {
  channel: "call",
  summary: "Asked about the hosting sponsorship",
  date: null,
  next_step: "Send the tiers",
  due: "2026-05-04",
  scope: "all",
};

/** The values a select offers, in order. */
function offered(select: HTMLElement): string[] {
  return Array.from((select as HTMLSelectElement).options, (o) => o.value);
}

describe("an organisation's detail", () => {
  it("warns before logging a contact when another member claims the organisation, and logs anyway with force", async () => {
    const { logInteraction } = useFakePartners();
    await openDetail("Borealis Compute");

    await fireEvent.click(screen.getByRole("button", { name: "Log a contact" }));

    // The warning is there before anything is sent.
    const warning = screen.getByRole("alert");
    expect(warning.classList.contains("claim-warning")).toBe(true);
    expect(warning.textContent?.trim()).toMatch(
      /^Ada Lindqvist is already in touch with Borealis Compute \(claimed until .*2099\)\. Talk to them before you reach out\.$/,
    );
    expect(screen.queryByRole("button", { name: "Log contact" })).toBeNull();
    expect(logInteraction).not.toHaveBeenCalled();

    await fillLogForm();
    await fireEvent.click(screen.getByRole("button", { name: "Log anyway" }));

    expect(logInteraction).toHaveBeenCalledWith("Borealis Compute", { ...sent, force: true });
    const log = screen.getByRole("region", { name: "Contact log" });
    await waitFor(() => expect(within(log).getAllByRole("row")[1]?.textContent).toContain("Asked about the hosting sponsorship"));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Log a contact" }));
  });

  it("does not warn about the member's own claim", async () => {
    const { logInteraction } = useFakePartners();
    await openDetail("Acme Cloud");
    expect(screen.getByRole("region", { name: "Claims for outreach" }).textContent).toMatch(/You\s+until/);

    await fireEvent.click(screen.getByRole("button", { name: "Log a contact" }));

    expect(screen.queryByRole("alert")).toBeNull();
    expect(document.querySelector(".claim-warning")).toBeNull();
    await fillLogForm();
    await fireEvent.click(screen.getByRole("button", { name: "Log contact" }));
    expect(logInteraction).toHaveBeenCalledWith("Acme Cloud", { ...sent, force: false });
  });

  it("shows the warning when the backend refuses for a claim that arrived meanwhile, then logs anyway", async () => {
    const { records, logInteraction } = useFakePartners();
    await openDetail("City of Utrecht");
    logInteraction.mockImplementationOnce(async () => {
      records[2]?.claims.push({ member: ada, until: FUTURE }); // synced in after the page was read
      // The core's own code for this refusal (backend.ts documents `claimed`; both are understood).
      throw new BackendError("claimed-by-other", "City of Utrecht is claimed by Ada Lindqvist until 2099-12-12");
    });

    await fireEvent.click(screen.getByRole("button", { name: "Log a contact" }));
    expect(screen.queryByRole("alert")).toBeNull();
    await fillLogForm();
    await fireEvent.click(screen.getByRole("button", { name: "Log contact" }));

    const warning = await screen.findByRole("alert");
    expect(warning.classList.contains("claim-warning")).toBe(true);
    expect(warning.textContent).toContain("Ada Lindqvist is already in touch with City of Utrecht");
    expect((screen.getByLabelText("Summary") as HTMLTextAreaElement).value).toBe(sent.summary);

    await fireEvent.click(screen.getByRole("button", { name: "Log anyway" }));

    expect(logInteraction).toHaveBeenCalledTimes(2);
    expect(logInteraction).toHaveBeenNthCalledWith(1, "City of Utrecht", { ...sent, force: false });
    expect(logInteraction).toHaveBeenLastCalledWith("City of Utrecht", { ...sent, force: true });
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Contact logged, despite the claim."));
  });

  it("claims for outreach, and when another member holds it shows their claim and offers to claim anyway", async () => {
    const { claimPartner } = useFakePartners();
    await openDetail("Borealis Compute");
    const claims = screen.getByRole("region", { name: "Claims for outreach" });
    expect((within(claims).getByLabelText("Days") as HTMLInputElement).value).toBe("30");

    await fireEvent.click(within(claims).getByRole("button", { name: "Claim for outreach" }));

    const refusal = await within(claims).findByRole("alert");
    expect(refusal.textContent).toContain("Ada Lindqvist is already in touch with Borealis Compute");
    expect(claimPartner).toHaveBeenLastCalledWith("Borealis Compute", 30, false);

    await fireEvent.click(within(refusal).getByRole("button", { name: "Claim anyway" }));

    expect(claimPartner).toHaveBeenLastCalledWith("Borealis Compute", 30, true);
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toMatch(/You claimed Borealis Compute until .*\(over the claim of Ada Lindqvist\)/),
    );
    expect(within(claims).getByText("You")).toBeTruthy();
  });

  it("changes the stage, saves the notes and adds a contact", async () => {
    const { updatePartner, addContact } = useFakePartners();
    const onChanged = vi.fn();
    render(PartnerDetail, { name: "Borealis Compute", session, version: 0, onBack: vi.fn(), onChanged });
    await screen.findByRole("heading", { level: 2, name: "Borealis Compute" });
    expect(screen.getByText("Ada Lindqvist", { selector: "dd" })).toBeTruthy();
    expect(screen.getByText("borealis-compute")).toBeTruthy();

    await fireEvent.change(screen.getByLabelText("Stage"), { target: { value: "in-discussion" } });
    expect(updatePartner).toHaveBeenLastCalledWith("Borealis Compute", expect.objectContaining({ stage: "in-discussion", notes: null }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Stage set to In discussion."));

    const notes = screen.getByLabelText("Notes") as HTMLTextAreaElement;
    expect(notes.value).toBe("Met at FOSDEM.");
    await fireEvent.input(notes, { target: { value: "Met at FOSDEM; budget in May." } });
    await fireEvent.click(screen.getByRole("button", { name: "Save notes" }));
    expect(updatePartner).toHaveBeenLastCalledWith("Borealis Compute", expect.objectContaining({ notes: "Met at FOSDEM; budget in May.", stage: null }));

    const contacts = screen.getByRole("region", { name: "Contacts" });
    await fireEvent.click(within(contacts).getByRole("button", { name: "Add contact" }));
    await fireEvent.input(within(contacts).getByLabelText("Name"), { target: { value: "Eva Lund" } });
    await fireEvent.input(within(contacts).getByLabelText("Email"), { target: { value: "eva@borealis.example" } });
    await fireEvent.input(within(contacts).getByLabelText("Role"), { target: { value: "Partnerships" } });
    await fireEvent.click(within(contacts).getByRole("button", { name: "Add contact" }));

    expect(addContact).toHaveBeenCalledWith("Borealis Compute", {
      name: "Eva Lund",
      email: "eva@borealis.example",
      role: "Partnerships",
      scope: "all",
    });
    expect(await within(contacts).findByText("Eva Lund")).toBeTruthy();
    expect(onChanged).toHaveBeenCalledTimes(3);
  });

  it("marks what fewer than all members read: the record, its contacts and its logged contacts", async () => {
    useFakePartners();
    await openDetail("Borealis Compute");

    // Borealis itself is read by everyone: no mark in its header.
    expect(document.querySelector("header.title .scope")).toBeNull();
    const contacts = screen.getByRole("region", { name: "Contacts" });
    const tor = within(contacts).getByText("Tor Berg").closest("li") as HTMLElement;
    expect(within(tor).getByTitle("Readable by: board").textContent).toMatch(/Readable by:\s*board/);
    const mira = within(contacts).getByText("Mira Holm").closest("li") as HTMLElement;
    expect(mira.querySelector(".scope")).toBeNull();

    const log = screen.getByRole("region", { name: "Contact log" });
    const [, newest, oldest] = within(log).getAllByRole("row");
    expect(newest?.querySelector(".scope")).toBeNull();
    expect(within(oldest as HTMLElement).getByTitle("Readable by: board")).toBeTruthy();
  });

  it("offers only the scopes the member's role reads for a note, and sends the one chosen", async () => {
    const { logInteraction, scopes } = useFakePartners();
    await openDetail("Acme Cloud");
    await fireEvent.click(screen.getByRole("button", { name: "Log a contact" }));

    const log = screen.getByRole("region", { name: "Contact log" });
    const select = within(log).getByLabelText("Scope") as HTMLSelectElement;
    await waitFor(() => expect(offered(select)).toEqual(["all", "board", "finance"]));
    expect(scopes).toHaveBeenCalled();
    expect(select.disabled).toBe(false);
    expect(select.value).toBe("all");
    expect(Array.from(select.options, (o) => o.textContent)).toEqual([
      "all — read by everyone",
      "board — read by Board",
      "finance — read by Board, Treasurer",
    ]);

    await fillLogForm();
    await fireEvent.change(select, { target: { value: "board" } });
    await fireEvent.click(screen.getByRole("button", { name: "Log contact" }));

    expect(logInteraction).toHaveBeenCalledWith("Acme Cloud", { ...sent, force: false, scope: "board" });
    await waitFor(() => expect(within(log).getAllByRole("row")[1]?.textContent).toContain(sent.summary));
    expect(within(within(log).getAllByRole("row")[1] as HTMLElement).getByTitle("Readable by: board")).toBeTruthy();
  });

  it("keeps contacts and notes on a board-only record in its scope", async () => {
    const { logInteraction, addContact } = useFakePartners();
    await openDetail("Dunmore Foundation");
    expect(within(document.querySelector("header.title") as HTMLElement).getByTitle("Readable by: board")).toBeTruthy();

    await fireEvent.click(screen.getByRole("button", { name: "Log a contact" }));
    const log = screen.getByRole("region", { name: "Contact log" });
    const select = within(log).getByLabelText("Scope") as HTMLSelectElement;
    await waitFor(() => expect(select.options[0]?.textContent).toBe("board — read by Board"));
    expect(offered(select)).toEqual(["board"]);
    expect(select.disabled).toBe(true);
    expect(log.textContent).toContain("It stays in the organisation's scope, board.");
    await fillLogForm();
    await fireEvent.click(screen.getByRole("button", { name: "Log contact" }));
    expect(logInteraction).toHaveBeenCalledWith("Dunmore Foundation", { ...sent, force: false, scope: "board" });

    const contacts = screen.getByRole("region", { name: "Contacts" });
    await fireEvent.click(within(contacts).getByRole("button", { name: "Add contact" }));
    const contactScope = within(contacts).getByLabelText("Scope") as HTMLSelectElement;
    expect(offered(contactScope)).toEqual(["board"]);
    expect(contactScope.disabled).toBe(true);
    await fireEvent.input(within(contacts).getByLabelText("Name"), { target: { value: "Ines Dunmore" } });
    await fireEvent.click(within(contacts).getByRole("button", { name: "Add contact" }));
    expect(addContact).toHaveBeenCalledWith("Dunmore Foundation", { name: "Ines Dunmore", email: null, role: null, scope: "board" });
  });

  it("moves the record to another scope, saying plainly what moving cannot take back", async () => {
    const { updatePartner } = useFakePartners();
    const onChanged = vi.fn();
    render(PartnerDetail, { name: "City of Utrecht", session, version: 0, onBack: vi.fn(), onChanged });
    await screen.findByRole("heading", { level: 2, name: "City of Utrecht" });

    const about = screen.getByRole("region", { name: "About" });
    const select = within(about).getByLabelText("Scope") as HTMLSelectElement;
    const move = within(about).getByRole("button", { name: "Move" }) as HTMLButtonElement;
    await waitFor(() => expect(offered(select)).toEqual(["all", "board", "finance"]));
    expect(select.value).toBe("all");
    expect(move.disabled).toBe(true);
    const note = document.getElementById(select.getAttribute("aria-describedby") ?? "")?.textContent ?? "";
    expect(note).toContain("shares the record as it stands with the new scope's readers");
    expect(note).toContain("Members who could read it before keep what they already have");

    await fireEvent.change(select, { target: { value: "board" } });
    expect(move.disabled).toBe(false);
    await fireEvent.click(move);

    expect(updatePartner).toHaveBeenCalledWith("City of Utrecht", expect.objectContaining({ scope: "board", stage: null, notes: null }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Moved to the scope board."));
    expect(within(document.querySelector("header.title") as HTMLElement).getByTitle("Readable by: board")).toBeTruthy();
    expect(move.disabled).toBe(true);
    expect(onChanged).toHaveBeenCalledTimes(1);

    // From now on its notes stay in board.
    await fireEvent.click(screen.getByRole("button", { name: "Log a contact" }));
    const logScope = within(screen.getByRole("region", { name: "Contact log" })).getByLabelText("Scope") as HTMLSelectElement;
    expect(offered(logScope)).toEqual(["board"]);
    expect(logScope.disabled).toBe(true);
  });
});
