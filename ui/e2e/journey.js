// What every desktop journey shares: the environment scripts/e2e-desktop.sh passes,
// starting the real app on a given home, the countersign CLI for the other members,
// and screenshots.
//
//   E2E_WEBDRIVER_URL  tauri-driver's address          E2E_DESKTOP_BIN  the app
//   E2E_CLI_BIN        the countersign CLI              E2E_WORK         homes and folders
//   E2E_SCREENSHOTS    where screenshots go             COUNTERSIGN_PASSPHRASE  every seeded key's
//   E2E_GRACE_PASSPHRASE  the one key seeded with a passphrase of its own (homes.grace)

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session, sleep, waitFor } from "./webdriver.js";

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the journeys through scripts/e2e-desktop.sh`);
  return value;
}

export const work = () => env("E2E_WORK");
export const passphrase = () => env("COUNTERSIGN_PASSPHRASE");

/** The homes and the shared folder the script seeded. */
export const homes = {
  get erin() {
    return join(work(), "erin");
  },
  get frank() {
    return join(work(), "frank");
  },
  /** Her key's passphrase is E2E_GRACE_PASSPHRASE, not the one the app is given. */
  get grace() {
    return join(work(), "grace");
  },
};

/**
 * Starts the real app on `home` (its own window, its own process); `ready` says when
 * it is up (by default, once the places are listed).
 */
export async function startApp(home, { ready = (session) => session.byText("nav button", "Home") } = {}) {
  const application = env("E2E_DESKTOP_BIN");
  const session = await Session.start(
    env("E2E_WEBDRIVER_URL"),
    { "tauri:options": { application, args: ["--home", home] } },
    { timeoutMs: 90_000 },
  );
  try {
    await waitFor("the app to open the home", () => ready(session), { timeoutMs: 60_000 });
  } catch (err) {
    const shown = await session.execute("return document.body.innerText;").catch(() => "(unreadable)");
    await screenshot(session, `failed-start-${home.split("/").pop()}.png`).catch(() => {});
    await session.end().catch(() => {});
    throw new Error(`${err.message}; the window showed: ${shown}`);
  }
  return session;
}

/** Runs the countersign CLI on `home`; returns its stdout (parsed with `json`). */
export function cli(home, args, { json = false } = {}) {
  const out = execFileSync(env("E2E_CLI_BIN"), ["--home", home, ...(json ? ["--json"] : []), ...args], {
    encoding: "utf8",
    timeout: 120_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return json ? JSON.parse(out) : out;
}

export async function screenshot(session, name) {
  // The frame after an assertion may not be painted yet.
  await sleep(700);
  const dir = env("E2E_SCREENSHOTS");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, await session.screenshot());
  console.log(`screenshot: ${path}`);
}

/** The text of the Sync view's announcement of what the last sync did ("" while none). */
const SYNC_DONE = `return Array.from(document.querySelectorAll("[role=status]"), (e) => e.textContent.trim())
  .find((t) => /^(Wrote|Applied|Nothing to write)/.test(t)) ?? "";`;

/** Presses "Sync now" in the Sync view, typing the passphrase when the app asks for it; returns what it did. */
export async function syncNow(session) {
  await session.press("Sync");
  await session.press("Sync now");
  const first = await waitFor("the sync to finish or ask for the passphrase", async () => {
    if (await session.field("Passphrase of your key")) return "asked";
    return (await session.execute(SYNC_DONE)) || null;
  }, { timeoutMs: 60_000 }).catch(async (err) => {
    await screenshot(session, "failed-sync.png").catch(() => {});
    throw new Error(`${err.message}; the window showed: ${await session.mainText().catch(() => "?")}`);
  });
  if (first !== "asked") return first;
  await session.fill("Passphrase of your key", passphrase());
  await session.press("Continue");
  return waitFor("the sync to finish", async () => (await session.execute(SYNC_DONE)) || null, { timeoutMs: 60_000 });
}
