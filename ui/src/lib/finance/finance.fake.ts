// Records for the finance tests: transactions made up from their position in the list.

import type { TransactionFilter } from "../bindings/TransactionFilter";
import type { TransactionPage } from "../bindings/TransactionPage";
import type { TransactionView } from "../bindings/TransactionView";

/** The transaction at position `i` of the list (newest first). */
export function transaction(i: number): TransactionView {
  return {
    id: `opencollective:${100000 + i}`,
    source: "opencollective",
    date: "2026-03-14",
    account: "nixos",
    kind: i % 2 ? "EXPENSE" : "CONTRIBUTION",
    category: i % 2 ? "Hosting" : "Donations",
    description: `Transaction ${i}`,
    amount: i % 2 ? "-1234.5000" : "100.0000",
    net: i % 2 ? "-1234.5000" : "95.2000",
    currency: "EUR",
    fund: "infrastructure",
    group: null,
    counterparty: "acme-cloud",
    counterparty_name: "Acme Cloud",
    decision: i === 1 ? "3f9a1c0d2e4b" : null,
  };
}

/** The page `filter` asks for out of `total` made-up transactions. */
export function pageOf(total: number, filter: TransactionFilter): TransactionPage {
  const offset = filter.offset ?? 0;
  const count = Math.max(0, Math.min(filter.limit ?? 100, total - offset));
  return { total, offset, rows: Array.from({ length: count }, (_, k) => transaction(offset + k)) };
}
