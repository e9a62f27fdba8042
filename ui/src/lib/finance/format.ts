// Words and small helpers for the finance views. Sums of money are exact: decimal
// strings are added as scaled BigInts, never as JavaScript numbers.

import type { ImportStage } from "../bindings/ImportStage";
import type { Source } from "../bindings/Source";

export const sourceLabels: Record<Source, string> = {
  opencollective: "Open Collective",
  eboekhouden: "e-boekhouden",
};

/** Every source, in the order the menus list them. */
export const sources = Object.keys(sourceLabels) as Source[];

export const importStageLabels: Record<ImportStage, string> = {
  read: "Read",
  compare: "Compare",
  record: "Record",
};

/** A count with its thousands grouped as amounts are: 1000000 → "1,000,000". */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "1 transaction", "1,204 transactions". */
export function countOf(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function thisYear(): number {
  return new Date().getFullYear();
}

/** The years the menus offer, newest first: this year back to 2000. */
export function offeredYears(first = 2000): number[] {
  const last = thisYear();
  return Array.from({ length: last - first + 1 }, (_, i) => last - i);
}

const monthFormat = new Intl.DateTimeFormat(undefined, { month: "short", timeZone: "UTC" });

/** The month of a period such as `2025-03`, as a short name ("Mar"). */
export function monthName(period: string): string {
  const date = new Date(`${period}-01T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? period : monthFormat.format(date);
}

/** Rows grouped by currency, in the order each currency first appears. */
export function byCurrency<T extends { currency: string }>(rows: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.currency);
    if (group) group.push(row);
    else groups.set(row.currency, [row]);
  }
  return [...groups];
}

// --- exact sums of decimal strings -------------------------------------------------

const DECIMAL = /^([-+]?)(\d*)(?:\.(\d*))?$/;

function parse(amount: string): { units: bigint; scale: number } {
  const match = DECIMAL.exec(amount.trim());
  if (!match || (!match[2] && !match[3])) throw new Error(`“${amount}” is not a decimal amount`);
  const fraction = match[3] ?? "";
  const units = BigInt(`${match[2] || "0"}${fraction}`);
  return { units: match[1] === "-" ? -units : units, scale: fraction.length };
}

function show(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? "-" : ""}${whole}${scale > 0 ? `.${fraction}` : ""}`;
}

/** The exact sum of decimal strings, with at least two decimals: ["1.5", "-0.25"] → "1.25". */
export function sumAmounts(amounts: readonly string[]): string {
  const parsed = amounts.map(parse);
  const scale = Math.max(2, ...parsed.map((p) => p.scale));
  let total = 0n;
  for (const p of parsed) total += p.units * 10n ** BigInt(scale - p.scale);
  return show(total, scale);
}

/** `a − b`, exactly. */
export function subtractAmounts(a: string, b: string): string {
  const { units, scale } = parse(b);
  return sumAmounts([a, show(-units, scale)]);
}
