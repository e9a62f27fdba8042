// The one seam between the views and the desktop shell: every backend call goes
// through this module, so views never call `invoke` and tests replace this module
// (see backend.fake.ts) instead of the Tauri IPC.

import { invoke } from "@tauri-apps/api/core";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { HomeInfo } from "./bindings/HomeInfo";
import type { PartnerFilter } from "./bindings/PartnerFilter";
import type { PartnerSummary } from "./bindings/PartnerSummary";

/**
 * An error reported by the backend. `code` is stable and machine-readable (the core's
 * `Error::code()`, e.g. `no-home`, `database-damaged`): decide on it, never on the
 * message. `message` says what happened and what to do, for people.
 */
export class BackendError extends Error implements ErrorReport {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }
}

/** Turns whatever a failed call rejected with into a {@link BackendError}. */
export function toBackendError(err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  if (typeof err === "object" && err !== null) {
    // The shell rejects with the core's ErrorReport ({code, message}).
    const { code, message } = err as Partial<Record<keyof ErrorReport, unknown>>;
    if (typeof code === "string" && typeof message === "string") {
      return new BackendError(code, message);
    }
    if (err instanceof Error) return new BackendError("internal", err.message);
  }
  // Tauri itself rejects with a plain string, e.g. for a command it does not know.
  if (typeof err === "string") return new BackendError("internal", err);
  return new BackendError("internal", "the app's backend failed without saying why");
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toBackendError(err);
  }
}

/** Who the open home belongs to, and whether it is the demo. */
export function homeInfo(): Promise<HomeInfo> {
  return call<HomeInfo>("home_info");
}

/** The organisations that match `filter`, ordered by name. */
export function listPartners(filter: PartnerFilter): Promise<PartnerSummary[]> {
  return call<PartnerSummary[]>("list_partners", { filter });
}

/** A filter that lets everything through; spread it and set the fields you need. */
export const noFilter: PartnerFilter = {
  stage: null,
  tag: null,
  search: null,
  owner: null,
  limit: null,
  offset: null,
};
