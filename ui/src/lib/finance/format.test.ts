import { describe, expect, it } from "vitest";
import { countOf, subtractAmounts, sumAmounts } from "./format";

describe("finance figures", () => {
  it("adds amounts exactly and groups counts", () => {
    // 0.1 + 0.2 is 0.30000000000000004 as JavaScript numbers; money must stay exact.
    expect(sumAmounts(["0.10", "0.2"])).toBe("0.30");
    expect(sumAmounts(["1000.00", "500.1000", "-200.05", "-0.05"])).toBe("1300.0000");
    expect(sumAmounts(["90071992547409.93", "0.07"])).toBe("90071992547410.00");
    expect(sumAmounts([])).toBe("0.00");
    expect(subtractAmounts("0", "50.00")).toBe("-50.00");
    expect(subtractAmounts("-0.5", "-0.5")).toBe("0.00");
    expect(() => sumAmounts(["12,50"])).toThrow(/not a decimal amount/);
    expect(countOf(1_000_000, "transaction", "transactions")).toBe("1,000,000 transactions");
    expect(countOf(1, "transaction", "transactions")).toBe("1 transaction");
  });
});
