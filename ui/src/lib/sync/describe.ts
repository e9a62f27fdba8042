// One line that says what a sync did, for the sync view and the app's notices:
// "Wrote 1 bundle, applied 3, 1 rejected".

import type { SyncReport } from "../bindings/SyncReport";

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What a sync did, in one sentence without a full stop. */
export function describeReport(report: SyncReport): string {
  const written = report.written.length;
  const applied = report.applied.length;
  const parts: string[] = [];
  if (written > 0) parts.push(`wrote ${count(written, "bundle")}`);
  if (applied > 0) parts.push(written > 0 ? `applied ${applied}` : `applied ${count(applied, "bundle")}`);
  if (parts.length === 0) parts.push("nothing to write or apply");
  if (report.waiting.length > 0) parts.push(`${report.waiting.length} waiting`);
  if (report.rejected.length > 0) parts.push(`${report.rejected.length} rejected`);
  if (report.forks.length > 0) parts.push(count(report.forks.length, "fork"));
  if (report.sealed > 0) parts.push(`${report.sealed} not for your role`);
  if (report.ahead.length > 0) parts.push(`${count(report.ahead.length, "clock")} ahead of yours`);
  const text = parts.join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Bundles of scopes this member's role does not read, said as what they are (not an
 * error): "2 bundles are for scopes your role does not read; they are left unopened."
 */
export function describeSealed(sealed: number): string {
  return sealed === 1
    ? "1 bundle is for a scope your role does not read; it is left unopened."
    : `${sealed} bundles are for scopes your role does not read; they are left unopened.`;
}
