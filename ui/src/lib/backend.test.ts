import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { BackendError, listPartners, homeInfo, noFilter, toBackendError } = await import("./backend");

describe("the backend module", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("sends the filter to list_partners", async () => {
    invoke.mockResolvedValue([]);
    await listPartners({ ...noFilter, search: "acme" });
    expect(invoke).toHaveBeenCalledWith("list_partners", { filter: { ...noFilter, search: "acme" } });
  });

  it("turns a command error into a BackendError with its code", async () => {
    invoke.mockRejectedValue({ code: "no-home", message: "there is no Countersign home at /x" });
    const err = await homeInfo().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as InstanceType<typeof BackendError>).code).toBe("no-home");
    expect((err as Error).message).toBe("there is no Countersign home at /x");
  });

  it("keeps Tauri's own string errors readable", () => {
    const err = toBackendError("command list_partnerz not found");
    expect(err.code).toBe("internal");
    expect(err.message).toBe("command list_partnerz not found");
  });
});
