import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import ScopeMark from "./ScopeMark.svelte";

describe("the scope mark", () => {
  it("marks a record fewer than all members read with a lock and its scope", () => {
    const { container } = render(ScopeMark, { scope: "board" });

    const mark = screen.getByTitle("Readable by: board");
    expect(mark.classList.contains("scope")).toBe(true);
    // Read aloud as "Readable by: board"; the lock is a picture only.
    expect(mark.textContent?.replace(/\s+/g, " ").trim()).toBe("Readable by: board");
    expect(mark.querySelector(".visually-hidden")?.textContent).toBe("Readable by:");
    expect(container.querySelector("svg")?.getAttribute("aria-hidden")).toBe("true");
  });

  it("shows nothing for a record every member reads", () => {
    const { container } = render(ScopeMark, { scope: "all" });
    expect(container.querySelector(".scope")).toBeNull();
    expect(container.textContent?.trim()).toBe("");
  });
});
