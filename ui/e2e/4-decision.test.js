// A decision proposed and signed in one home, approved with the passphrase in
// another, synced through the shared folder: approved in both. Each home is its own
// app process, as on two laptops.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { homes, passphrase, screenshot, startApp, syncNow } from "./journey.js";
import { waitFor, waitForText } from "./webdriver.js";

const TITLE = "Travel grants for NixCon";

/** The status word on the open decision's detail. */
async function status(session) {
  return session.execute(`return document.querySelector(".status")?.innerText.trim() ?? null;`);
}

/** Approves the open decision, typing the passphrase when asked. */
async function approve(session) {
  await session.press("Approve");
  await waitFor("the passphrase dialog", () => session.field("Passphrase of your key"));
  await session.fill("Passphrase of your key", passphrase());
  await session.press("Continue");
  await waitFor("the passphrase dialog to close", async () => !(await session.field("Passphrase of your key")), {
    timeoutMs: 60_000,
  });
}

async function openDecision(session, tab) {
  await session.press("Decisions");
  await session.press(tab);
  const title = await waitFor(`"${TITLE}" in the list`, () => session.byText("button", TITLE), { timeoutMs: 30_000 });
  await session.click(title);
  await waitFor("the decision's detail", () => status(session));
}

describe("propose in one home, approve in another", { timeout: 400_000 }, () => {
  let session;

  after(async () => {
    if (session) await session.end().catch(() => {});
  });

  it("Erin proposes and signs her approval; it stays open for Frank", async () => {
    session = await startApp(homes.erin);
    await session.press("Decisions");
    await session.press("Propose a decision");
    await session.choose("Kind", "spending");
    await session.fill("Title", TITLE);
    await session.fill("Text", "Grants for ten contributors to attend NixCon.");
    await session.fill("Amount", "2500");
    await session.fill("Fund", "events");
    await session.press("Propose");
    await waitFor("the new decision", async () => (await status(session)) === "Open", { timeoutMs: 30_000 });
    await approve(session);
    await waitForText(session, "Erin Example");
    assert.equal(await status(session), "Open", "one of two board members approved");
    await syncNow(session);
    await session.end();
    session = null;
  });

  it("Frank reads it from the folder, approves with his passphrase: approved", async () => {
    session = await startApp(homes.frank);
    await syncNow(session);
    await openDecision(session, "Needs me");
    await approve(session);
    await waitFor("the status Approved", async () => (await status(session)) === "Approved", { timeoutMs: 30_000 });
    const detail = await session.mainText();
    assert.match(detail, /Signature verified/);
    await screenshot(session, "decision-approved-frank.png");
    await syncNow(session);
    await session.end();
    session = null;
  });

  it("Erin syncs and sees it approved too", async () => {
    session = await startApp(homes.erin);
    await syncNow(session);
    await openDecision(session, "All");
    assert.equal(await status(session), "Approved");
    await screenshot(session, "decision-approved-erin.png");
  });
});
