import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import BarChart from "./BarChart.svelte";

describe("the bar chart", () => {
  it("draws grouped bars, negatives below the zero line, each with its figure on hover", () => {
    render(BarChart, {
      label: "Income and expenditure per month",
      categories: ["Jan", "Feb"],
      series: [
        { name: "Income", values: [500, 0], labels: ["€500.00", "€0.00"] },
        { name: "Expenditure", values: [-200, -50], labels: ["€200.00", "€50.00"] },
      ],
      line: { name: "Balance", values: [1300, 1250], labels: ["€1,300.00", "€1,250.00"] },
    });

    const chart = screen.getByRole("img", { name: "Income and expenditure per month" });
    expect(chart.getAttribute("viewBox")).toMatch(/^0 0 \d+ \d+$/);
    const bars = Array.from(chart.querySelectorAll("rect.bar"));
    expect(bars.map((b) => b.querySelector("title")?.textContent)).toEqual([
      "Jan · Income: €500.00",
      "Jan · Expenditure: €200.00",
      "Feb · Income: €0.00",
      "Feb · Expenditure: €50.00",
    ]);
    // Income rises from the zero line, expenditure hangs below it, in different colours.
    const zero = Number(chart.querySelector("line.zero")?.getAttribute("y1"));
    const [income, spending] = bars as [SVGRectElement, SVGRectElement];
    expect(Number(income.getAttribute("y")) + Number(income.getAttribute("height"))).toBeCloseTo(zero);
    expect(Number(spending.getAttribute("y"))).toBeCloseTo(zero);
    expect(income.classList.contains("s0") && spending.classList.contains("s1")).toBe(true);
    expect(Array.from(chart.querySelectorAll("circle.point title"), (t) => t.textContent)).toEqual([
      "Jan · Balance: €1,300.00",
      "Feb · Balance: €1,250.00",
    ]);
    expect(chart.querySelectorAll("text.category")).toHaveLength(2);
    expect(screen.getByText("Expenditure").closest("figcaption")).toBeTruthy();
  });
});
