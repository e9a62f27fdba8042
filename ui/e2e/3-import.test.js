// The treasurer imports an Open Collective export: the progress shows while it runs,
// then what changed and the totals. The expected total is computed here from the rows
// written, in integer cents.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { homes, screenshot, startApp, work } from "./journey.js";
import { waitFor } from "./webdriver.js";

const ROWS = 30_000;

/** Writes an export of ROWS transactions (recommended layout); returns the net total in cents. */
function writeExport(path) {
  const lines = [
    "datetime,effectiveDate,legacyId,group,type,kind,description,amount,netAmount,currency,accountSlug,oppositeAccountSlug,oppositeAccountName,expenseType,accountingCategoryCode",
  ];
  let total = 0n;
  for (let i = 0; i < ROWS; i++) {
    const day = new Date(Date.UTC(2025, 0, 1 + Math.floor((i * 365) / ROWS))).toISOString().slice(0, 10);
    const contribution = i % 3 !== 2;
    const cents = contribution ? 1_000 + ((i * 7919) % 50_000) : -(500 + ((i * 104_729) % 20_000));
    total += BigInt(cents);
    const amount = `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;
    const kind = contribution ? "CONTRIBUTION" : "EXPENSE";
    const type = contribution ? "CREDIT" : "DEBIT";
    lines.push(
      `${day}T10:00:00,${day}T12:00:00,${7_000_000 + i},g${i},${type},${kind},"${kind} ${i}",${amount},${amount},EUR,nixos,who-${i % 97},"Who ${i % 97}",,`,
    );
  }
  writeFileSync(path, lines.join("\n") + "\n");
  return total;
}

/** Cents as the app shows euros: "€1,234.56", "−€7.00". */
function euros(cents) {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "−" : ""}€${whole}.${(abs % 100n).toString().padStart(2, "0")}`;
}

describe("importing an Open Collective export", { timeout: 300_000 }, () => {
  let session;
  let file;
  let total;

  before(async () => {
    file = join(work(), "opencollective-2025.csv");
    total = writeExport(file);
    session = await startApp(homes.erin);
  });

  after(async () => {
    if (session) await session.end().catch((err) => console.error(`ending the session: ${err.message}`));
  });

  it("shows progress while importing, then the rows added and the total", async () => {
    await session.press("Finance");
    await session.press("Import");
    await session.choose("Source", "opencollective");
    await session.fill("File", file);
    // The tab and the submit button share the name: press the form's button.
    const submit = await session.find("form button[type=submit]");
    await session.click(submit);

    let sawProgress = false;
    const summary = await waitFor("the import summary", async () => {
      if (!sawProgress) {
        const bar = await session.execute(`return document.querySelector('progress[aria-label="Import progress"]') !== null;`);
        if (bar) {
          sawProgress = true;
          await screenshot(session, "import-progress.png");
        }
      }
      const found = await session.execute(`return document.querySelector(".import-summary")?.innerText ?? null;`);
      return found;
    }, { timeoutMs: 240_000, intervalMs: 50 });
    assert.ok(sawProgress, "the progress bar showed while importing");
    assert.match(summary, /30,000|30 000|30000/);
    assert.ok(summary.includes(euros(total)), `the summary shows the total ${euros(total)}: ${summary}`);
    await screenshot(session, "import-summary.png");
  });

  it("lists the imported transactions", async () => {
    await session.press("Transactions");
    const status = await waitFor("the transaction count", async () => {
      const text = await session.execute(
        `return Array.from(document.querySelectorAll("[role=status]"), (e) => e.innerText).find((t) => /transactions/.test(t)) ?? null;`,
      );
      return text && /30,000|30 000|30000/.test(text) ? text : null;
    });
    assert.match(status, /transactions/);
    await screenshot(session, "transactions.png");
  });
});
