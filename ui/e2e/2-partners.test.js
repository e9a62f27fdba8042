// The partner list of the real desktop app, driven through WebDriver (tauri-driver)
// against a home seeded with the CLI. Run by scripts/e2e-desktop.sh, which starts
// Xvfb and tauri-driver and passes, in the environment:
//   E2E_WEBDRIVER_URL  tauri-driver's address, e.g. http://127.0.0.1:4444
//   E2E_DESKTOP_BIN    absolute path of the countersign-desktop binary
//   E2E_MEMBER         the seeded member's name
//   E2E_PARTNERS       the seeded organisations' names, one per line
//   E2E_SEARCH         a search text, and E2E_SEARCH_MATCHES the names it must leave
//   E2E_SCREENSHOTS    where screenshots go
// The app reads COUNTERSIGN_HOME from the environment tauri-driver passes on.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Session, sleep, waitFor } from "./webdriver.js";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run this through scripts/e2e-desktop.sh`);
  return value;
}

const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

const server = env("E2E_WEBDRIVER_URL");
const application = env("E2E_DESKTOP_BIN");
const member = env("E2E_MEMBER");
const partners = lines(env("E2E_PARTNERS"));
const search = env("E2E_SEARCH");
const searchMatches = lines(env("E2E_SEARCH_MATCHES"));
const screenshots = env("E2E_SCREENSHOTS");

/** The organisation names in the table, top to bottom, as rendered. */
const ROW_NAMES = `return Array.from(document.querySelectorAll("tbody .partner-name"), (e) => e.innerText.trim());`;

const sameNames = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function saveScreenshot(session, name) {
  // The frame after an assertion may not be painted yet.
  await sleep(700);
  mkdirSync(screenshots, { recursive: true });
  const path = join(screenshots, name);
  writeFileSync(path, await session.screenshot());
  console.log(`screenshot: ${path}`);
}

describe("the partner list in the desktop app", { timeout: 120_000 }, () => {
  /** @type {Session} */
  let session;

  before(async () => {
    session = await Session.start(server, { "tauri:options": { application } }, { timeoutMs: 60_000 });
  });

  after(async () => {
    if (session) await session.end().catch((err) => console.error(`ending the session: ${err.message}`));
  });

  it("shows the member's name and no demo badge", async () => {
    const header = await waitFor("the header to name the member", async () => {
      const text = await session.text(await session.find("header"));
      return text.includes(member) ? text : null;
    });
    assert.doesNotMatch(header, /\bDemo\b/i);
    // The stylesheet loaded under the app's CSP: the header is laid out by it.
    const display = await session.execute(`return getComputedStyle(document.querySelector("header")).display;`);
    assert.equal(display, "flex");
  });

  it("runs under a content security policy that blocks inline styles", async () => {
    // An inline <style> added at run time must not apply: style-src has no 'unsafe-inline'.
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

  it("lists every organisation seeded with the CLI, ordered by name", async () => {
    const expected = [...partners].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const shown = await waitFor(`rows ${JSON.stringify(expected)}`, async () => {
      const names = await session.execute(ROW_NAMES);
      return sameNames(names, expected) ? names : null;
    });
    assert.deepEqual(shown, expected);
    const status = await session.text(await session.find("[role=status]"));
    assert.equal(status, `${partners.length} organisations`);
    await saveScreenshot(session, "partners.png");
  });

  it("narrows the list as the member types a search", async () => {
    const box = await session.find("input[type=search]");
    await session.click(box);
    await session.type(box, search);
    const shown = await waitFor(`rows ${JSON.stringify(searchMatches)} after searching "${search}"`, async () => {
      const names = await session.execute(ROW_NAMES);
      return sameNames(names, searchMatches) ? names : null;
    });
    assert.deepEqual(shown, searchMatches);
    assert.ok(shown.length < partners.length, "the search left fewer rows");
    await saveScreenshot(session, "partners-search.png");
  });

  it("says so when nothing matches", async () => {
    const box = await session.find("input[type=search]");
    await session.clear(box);
    await session.type(box, "no such organisation");
    await waitFor("the no-match message", async () => {
      const body = await session.text(await session.find("main"));
      return body.includes("No organisations match") ? body : null;
    });
    assert.deepEqual(await session.execute(ROW_NAMES), []);
  });
});
