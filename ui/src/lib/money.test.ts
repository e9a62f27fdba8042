import { describe, expect, it } from "vitest";
import { formatMoney, groupDigits, isNegative } from "./money";

describe("amounts as people read them", () => {
  it("groups thousands and keeps exact cents from the decimal string", () => {
    expect(groupDigits("1234567.8900")).toBe("1,234,567.89");
    expect(groupDigits("0.1")).toBe("0.10");
    expect(groupDigits("12.3456")).toBe("12.3456");
    expect(groupDigits("-45.9")).toBe("−45.90");
    expect(groupDigits("-0.00")).toBe("0.00");
  });

  it("puts the currency symbol where readers expect it", () => {
    expect(formatMoney("1500", "EUR")).toBe("€1,500.00");
    expect(formatMoney("-45.90", "EUR")).toBe("−€45.90");
    expect(formatMoney("1000", "SEK")).toBe("1,000.00 SEK");
  });

  it("knows a negative amount from its string", () => {
    expect(isNegative("-0.01")).toBe(true);
    expect(isNegative("-0.00")).toBe(false);
    expect(isNegative("3")).toBe(false);
  });
});
