// First start with no home: the demo opens, clearly marked; the member sets up their
// own home with a new key and creates a workspace in a shared folder.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { screenshot, startApp, work } from "./journey.js";
import { waitFor, waitForText } from "./webdriver.js";

describe("onboarding with a new key", { timeout: 240_000 }, () => {
  let session;
  const home = () => join(work(), "newcomer");
  const folder = () => join(work(), "newcomer-shared");

  before(async () => {
    mkdirSync(folder(), { recursive: true });
    session = await startApp(home());
  });

  after(async () => {
    if (session) await session.end().catch((err) => console.error(`ending the session: ${err.message}`));
  });

  it("opens the demo, marked as such, with decisions waiting and money per fund", async () => {
    const header = await session.text(await session.find("header"));
    assert.match(header, /Demo/);
    await waitForText(session, "Needs your signature");
    await waitForText(session, "Summer of Nix stipends");
    await waitForText(session, "Money available");
    await screenshot(session, "demo-home.png");
  });

  it("shows the demo's members and rules, its decisions and its reports", async () => {
    await session.press("Members");
    await waitForText(session, "Bram de Vries");
    await screenshot(session, "demo-members.png");
    await session.press("Decisions");
    await waitForText(session, "Summer of Nix stipends");
    await screenshot(session, "demo-decisions.png");
    await session.press("Finance");
    await session.press("Reports");
    await waitForText(session, "Budget against actual");
    await screenshot(session, "demo-reports.png");
    await session.press("Home");
  });

  it("creates the member's own key and a workspace, leaving the demo", async () => {
    await session.press("Set up your own home");
    await session.fill("Name", "Nora Newcomer");
    await session.fill("Email", "nora@example.org");
    await session.fill("Passphrase", "a long passphrase for nora");
    await session.fill("Passphrase again", "a long passphrase for nora");
    await screenshot(session, "onboarding-key.png");
    await session.press("Create my key");

    await waitForText(session, "Your workspace", { timeoutMs: 60_000 });
    await session.fill("Workspace name", "Nora's board");
    await session.fill("Shared folder", folder());
    await session.press("Create the workspace");

    const header = await waitFor("the header to name Nora", async () => {
      const text = await session.text(await session.find("header"));
      return text.includes("Nora Newcomer") ? text : null;
    }, { timeoutMs: 60_000 });
    assert.doesNotMatch(header, /\bDemo\b/);
    await waitForText(session, "Nothing waits for your signature.");
    await screenshot(session, "onboarding-done.png");
  });
});
