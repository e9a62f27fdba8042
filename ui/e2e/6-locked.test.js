// A member's records are encrypted on the laptop with their key. When the app has no
// passphrase that opens them (none in the OS keyring, or one that no longer fits), it
// shows the lock screen; a wrong passphrase is refused there, the right one opens the
// records.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { env, homes, screenshot, startApp } from "./journey.js";
import { waitFor, waitForText } from "./webdriver.js";

const LOCKED = "Your records are locked";
/** The organisation names in the partner table, as rendered. */
const ROW_NAMES = `return Array.from(document.querySelectorAll("tbody .partner-name"), (e) => e.innerText.trim());`;

describe("a home that opens locked", { timeout: 300_000 }, () => {
  let session;

  after(async () => {
    if (session) await session.end().catch(() => {});
  });

  it("asks for the passphrase, refuses a wrong one and opens with the right one", async () => {
    // The app is given the other members' passphrase, which does not open Grace's key.
    session = await startApp(homes.grace, { ready: (s) => s.byText("h1", LOCKED) });
    const shown = await session.execute("return document.body.innerText;");
    assert.ok(!shown.includes("Harbour Lights Trust"), `nothing of the records before unlocking: ${shown}`);
    await waitFor("the passphrase field", () => session.field("Passphrase of your key"));
    await screenshot(session, "locked-home.png");

    await session.fill("Passphrase of your key", "not her passphrase");
    await session.press("Continue");
    await waitForText(session, "That passphrase does not unlock your key", { timeoutMs: 30_000 });
    assert.ok(await session.byText("h1", LOCKED), "still locked after a wrong passphrase");

    await session.fill("Passphrase of your key", env("E2E_GRACE_PASSPHRASE"));
    await session.press("Continue");
    await waitFor("the records to open", () => session.byText("nav button", "Partners"), { timeoutMs: 60_000 });
    await session.press("Partners");
    const names = await waitFor("her organisation in the list", async () => {
      const shown = await session.execute(ROW_NAMES);
      return shown.length > 0 ? shown : null;
    }, { timeoutMs: 30_000 }).catch(async (err) => {
      await screenshot(session, "failed-locked-home.png").catch(() => {});
      throw err;
    });
    assert.deepEqual(names, ["Harbour Lights Trust"]);
    await screenshot(session, "locked-home-opened.png");
  });
});
