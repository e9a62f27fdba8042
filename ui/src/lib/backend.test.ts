import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  // The progress channel of an import: only its handler matters here.
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const { BackendError, importFinance, listPartners, homeInfo, mapFund, noFilter, scopes, setBudget, toBackendError } =
  await import("./backend");

describe("the backend module", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("sends the filter to list_partners", async () => {
    invoke.mockResolvedValue([]);
    await listPartners({ ...noFilter, search: "acme" });
    expect(invoke).toHaveBeenCalledWith("list_partners", { filter: { ...noFilter, search: "acme" } });
  });

  it("asks for the scopes, and passes the scope of finance records by name (null: the backend's finance)", async () => {
    invoke.mockResolvedValue([]);
    await scopes();
    expect(invoke).toHaveBeenLastCalledWith("scopes", undefined);

    await importFinance("opencollective", "/tmp/t.csv", "board", () => {});
    expect(invoke).toHaveBeenLastCalledWith("import_finance", {
      source: "opencollective",
      path: "/tmp/t.csv",
      scope: "board",
      progress: expect.anything(),
    });
    await mapFund("1100", "events", null);
    expect(invoke).toHaveBeenLastCalledWith("map_fund", { account: "1100", fund: "events", scope: null });
    await setBudget("events", 2026, "5000", "EUR", "finance");
    expect(invoke).toHaveBeenLastCalledWith("set_budget", {
      fund: "events",
      year: 2026,
      amount: "5000",
      currency: "EUR",
      scope: "finance",
    });
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
