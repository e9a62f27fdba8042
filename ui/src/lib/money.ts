// Amounts cross the IPC boundary as decimal strings ("-1234.5000"); they are shown
// from the string, never through a JavaScript number, so no cent is ever rounded away.

const symbols: Record<string, string> = { EUR: "€", USD: "$", GBP: "£", CHF: "CHF " };

/** Digits grouped by thousands, two decimals at least: "-1234.5" → "-1,234.50". */
export function groupDigits(amount: string): string {
  const text = amount.trim();
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[-+]/, "").split(".");
  const grouped = (whole || "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  // Drop trailing zeros beyond the cents: "1.5000" → "1.50", "1.2345" stays.
  const cents = fraction.replace(/0+$/, "").padEnd(2, "0");
  const sign = negative && /[1-9]/.test(whole + fraction) ? "−" : "";
  return `${sign}${grouped}.${cents}`;
}

/** An amount with its currency: "€1,234.50", "−€45.90", "1,000.00 SEK". */
export function formatMoney(amount: string, currency: string): string {
  const digits = groupDigits(amount);
  const symbol = symbols[currency];
  const negative = digits.startsWith("−");
  const bare = negative ? digits.slice(1) : digits;
  const shown = symbol ? `${symbol}${bare}` : `${bare} ${currency}`;
  return negative ? `−${shown}` : shown;
}

/** Whether a decimal string is below zero. */
export function isNegative(amount: string): boolean {
  return amount.trim().startsWith("-") && /[1-9]/.test(amount);
}

/**
 * An amount as a number of cents for drawing only (bar lengths in charts). Never
 * used for arithmetic on money that is shown or stored.
 */
export function toChartValue(amount: string): number {
  const value = Number.parseFloat(amount);
  return Number.isFinite(value) ? value : 0;
}
