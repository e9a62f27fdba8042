// Times on the home and sync screens: "5 minutes ago", "2 days left". Deadlines are
// calendar days in UTC, as the core closes a decision at the end of its `closes` day (UTC).

const DAY_MS = 86_400_000;

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * DAY_MS],
  ["month", 30 * DAY_MS],
  ["week", 7 * DAY_MS],
  ["day", DAY_MS],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

// English words, as the rest of the interface ("Last sync: 5 minutes ago").
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** How long ago (or how far ahead) an ISO time is: "just now", "5 minutes ago", "yesterday". */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = at - now.getTime();
  for (const [unit, size] of steps) {
    if (Math.abs(diff) >= size) return relative.format(Math.round(diff / size), unit);
  }
  return "just now";
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** An ISO time in full, in the reader's format and time zone (for a tooltip or a `<time>`). */
export function absoluteTime(iso: string): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : absolute.format(at);
}

/** Whole days from today (UTC) until a `YYYY-MM-DD` day: 0 on the day itself, negative after it. */
export function daysLeft(day: string, now: Date = new Date()): number {
  const end = Date.parse(`${day}T00:00:00Z`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((end - today) / DAY_MS);
}

/** A deadline's days left in words: "closes today", "1 day left", "12 days left". */
export function daysLeftText(days: number): string {
  if (days < 0) return "closed";
  if (days === 0) return "closes today";
  return days === 1 ? "1 day left" : `${days} days left`;
}

/** A count with its noun: "1 file", "3 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
