// Partners in the real app on Erin's home (seeded with the CLI by
// scripts/e2e-desktop.sh): the list, search, adding an organisation and logging a
// contact, and the duplicate-outreach warning for a claim Frank made in his own home,
// which reaches Erin through the shared folder.
//
//   E2E_MEMBER, E2E_PARTNERS (one per line), E2E_SEARCH and E2E_SEARCH_MATCHES come
//   from the script, as the seeded data.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cli, env, homes, screenshot, startApp, syncNow } from "./journey.js";
import { waitFor, waitForText } from "./webdriver.js";

const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

/** The organisation names in the table, top to bottom, as rendered. */
const ROW_NAMES = `return Array.from(document.querySelectorAll("tbody .partner-name"), (e) => e.innerText.trim());`;
const sameNames = (a, b) => JSON.stringify(a) === JSON.stringify(b);

describe("partners in the desktop app", { timeout: 300_000 }, () => {
  let session;
  const member = env("E2E_MEMBER");
  const partners = lines(env("E2E_PARTNERS"));

  before(async () => {
    // Frank, in his own home, claims an organisation and syncs.
    cli(homes.frank, ["partner", "claim", "Lindqvist Compute", "--days", "14"]);
    cli(homes.frank, ["sync"]);
    session = await startApp(homes.erin);
    await session.press("Partners");
  });

  after(async () => {
    if (session) await session.end().catch((err) => console.error(`ending the session: ${err.message}`));
  });

  it("shows the member's name and no demo badge, under a CSP that blocks inline styles", async () => {
    const header = await session.text(await session.find("header"));
    assert.ok(header.includes(member), header);
    assert.doesNotMatch(header, /\bDemo\b/i);
    assert.equal(await session.execute(`return getComputedStyle(document.querySelector("header")).display;`), "flex");
    const outline = await session.execute(`
      const style = document.createElement("style");
      style.textContent = "#app { outline: 7px solid red; }";
      document.head.append(style);
      const width = getComputedStyle(document.getElementById("app")).outlineWidth;
      style.remove();
      return width;
    `);
    assert.equal(outline, "0px");
  });

  it("lists every organisation seeded with the CLI, and narrows them by search", async () => {
    const expected = [...partners].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    await waitFor(`rows ${JSON.stringify(expected)}`, async () => sameNames(await session.execute(ROW_NAMES), expected));
    await screenshot(session, "partners.png");
    const box = await session.find("input[type=search]");
    await session.click(box);
    await session.type(box, env("E2E_SEARCH"));
    const matches = lines(env("E2E_SEARCH_MATCHES"));
    await waitFor(`rows ${JSON.stringify(matches)}`, async () => sameNames(await session.execute(ROW_NAMES), matches));
    await session.clear(box);
  });

  it("adds an organisation and logs a contact with it", async () => {
    await session.press("Add organisation");
    await session.fill("Name", "Quill Data Services");
    await session.choose("Kind", "company");
    await session.fill("Tags", "hosting, sponsor");
    await session.press("Add");
    await waitFor("the new organisation's page", () => session.byText("h2", "Quill Data Services"));
    await session.press("Log a contact");
    await session.fill("Summary", "Introduced the foundation's sponsorship tiers.");
    assert.equal(await session.execute(`return document.querySelector(".claim-warning") === null;`), true);
    await session.press("Log contact");
    await waitForText(session, "Introduced the foundation's sponsorship tiers.");
    await screenshot(session, "partner-contact-logged.png");
  });

  it("adds a board-only organisation: marked in the list and the detail, and recorded in scope board", async () => {
    await session.press("Partners");
    await session.press("Add organisation");
    await session.fill("Name", "Nimbus Quantum");
    await session.choose("Scope", "board");
    await session.press("Add");
    await waitFor("the new organisation's page", () => session.byText("h2", "Nimbus Quantum"));
    const mark = await session.execute(`return document.querySelector("main .scope")?.innerText.trim() ?? null;`);
    assert.match(mark ?? "", /board/);
    await screenshot(session, "partner-board-only.png");
    assert.equal(cli(homes.erin, ["partner", "show", "Nimbus Quantum"], { json: true }).scope, "board");
  });

  it("warns before a contact is logged when another member has claimed the organisation", async () => {
    await syncNow(session);
    await session.press("Partners");
    const row = await waitFor("Lindqvist Compute in the list", () => session.byText("button", "Lindqvist Compute"));
    await session.click(row);
    await waitFor("its page", () => session.byText("h2", "Lindqvist Compute"));
    await session.press("Log a contact");
    const warning = await waitFor("the claim warning", async () => {
      const found = await session.execute(`return document.querySelector(".claim-warning")?.innerText ?? null;`);
      return found;
    });
    assert.match(warning, /Frank Fielding/);
    assert.ok(await session.byText("button", "Log anyway"), "the member can still log it, knowingly");
    await screenshot(session, "partner-claim-warning.png");
    await session.press("Cancel");
  });

  it("reads what arrives in the shared folder while the app is open, without pressing Sync", async () => {
    // Erin's key is unlocked for this run (the sync above): the app syncs by itself.
    await session.click(
      await waitFor("the way back to the list", () => session.byText("button", "Back to the list", { partial: true })),
    );
    cli(homes.frank, ["partner", "add", "Watched Arrival BV", "--kind", "company"]);
    cli(homes.frank, ["sync"]);
    await waitFor("Frank's new organisation in Erin's list", () => session.byText("button", "Watched Arrival BV"), {
      timeoutMs: 30_000,
    });
    await screenshot(session, "partners-after-automatic-sync.png");
  });
});
