// A bundle altered in the shared folder is refused: the app lists the file with its
// reason, applies nothing from it, and leaves the file where it is.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { cli, homes, screenshot, startApp, syncNow, work } from "./journey.js";
import { waitFor } from "./webdriver.js";

/** Every file under `dir`. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("a tampered bundle", { timeout: 300_000 }, () => {
  let session;
  let tampered;

  before(async () => {
    // Frank records an organisation and syncs; on its way the bundle is altered.
    cli(homes.frank, ["partner", "add", "Tampered Trading Ltd", "--kind", "company"]);
    const before = Date.now();
    cli(homes.frank, ["sync"]);
    const shared = join(work(), "shared");
    const written = files(shared)
      .filter((f) => f.endsWith(".pgp") && statSync(f).mtimeMs >= before - 1000)
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    assert.ok(written.length > 0, "Frank's sync wrote a bundle");
    tampered = written[0];
    const bytes = readFileSync(tampered);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(tampered, bytes);
    tampered = relative(shared, tampered);
    session = await startApp(homes.erin);
  });

  after(async () => {
    if (session) await session.end().catch(() => {});
  });

  it("is listed as rejected with its reason, and nothing from it is applied", async () => {
    await syncNow(session);
    const name = tampered.split("/").pop();
    const item = await waitFor(`the rejected file ${name}`, async () => {
      const texts = await session.execute(`return Array.from(document.querySelectorAll(".rejected"), (e) => e.innerText);`);
      return texts.find((t) => t.includes(name)) ?? null;
    }, { timeoutMs: 30_000 });
    assert.match(item, /Rejected/);
    assert.ok(item.replace(name, "").trim().length > 20, `a reason is given: ${item}`);
    await screenshot(session, "tampered-rejected.png");

    await session.press("Partners");
    await waitFor("the partner list", () => session.byText("button", "Add organisation"));
    const text = await session.mainText();
    assert.doesNotMatch(text, /Tampered Trading/);
  });
});
