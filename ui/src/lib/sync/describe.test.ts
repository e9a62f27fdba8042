import { describe, expect, it } from "vitest";
import type { BundleRef } from "../bindings/BundleRef";
import type { SyncReport } from "../bindings/SyncReport";
import { describeReport, describeSealed } from "./describe";

function bundles(n: number): BundleRef[] {
  return Array.from({ length: n }, (_, i) => ({ file: `b/${i}.cs`, author: "A", device: "D", seq: i + 1, operations: 1 }));
}

const empty: SyncReport = { written: [], applied: [], waiting: [], rejected: [], forks: [], sealed: 0, ahead: [] };
const issue = { file: "x.cs", reason: "unreadable" };

describe("describeReport", () => {
  it("says what a sync wrote, applied and refused in one line", () => {
    expect(describeReport({ ...empty, written: bundles(1), applied: bundles(3), rejected: [issue] })).toBe(
      "Wrote 1 bundle, applied 3, 1 rejected",
    );
    expect(describeReport({ ...empty, written: bundles(2) })).toBe("Wrote 2 bundles");
    expect(describeReport({ ...empty, applied: bundles(1), waiting: [issue, issue] })).toBe(
      "Applied 1 bundle, 2 waiting",
    );
  });

  it("says when there was nothing to do, and counts forks", () => {
    expect(describeReport(empty)).toBe("Nothing to write or apply");
    const fork = { author: "A", device: "D", seq: 2, files: ["a", "b"], reason: "two bundles" };
    expect(describeReport({ ...empty, forks: [fork] })).toBe("Nothing to write or apply, 1 fork");
  });

  it("counts the bundles left unopened for other roles, as what they are", () => {
    expect(describeReport({ ...empty, applied: bundles(2), sealed: 3 })).toBe("Applied 2 bundles, 3 not for your role");
    expect(describeSealed(1)).toBe("1 bundle is for a scope your role does not read; it is left unopened.");
    expect(describeSealed(4)).toBe("4 bundles are for scopes your role does not read; they are left unopened.");
  });

  it("counts the devices whose clocks run a day or more ahead", () => {
    const clock = {
      member: { fingerprint: "D".repeat(40), name: "Dave" },
      device: "0f1e2d3c4b5a",
      hours: 72,
      message: "Dave's laptop (device 0f1e2d3c) stamps its changes 3 days ahead of this computer's clock",
    };
    expect(describeReport({ ...empty, applied: bundles(1), ahead: [clock] })).toBe(
      "Applied 1 bundle, 1 clock ahead of yours",
    );
  });
});
