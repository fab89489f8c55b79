import { describe, expect, it } from "vitest";
import { caretSnippet } from "../../src/text/snippet";

describe("caretSnippet", () => {
  it("numbers the line and puts the caret under the column, tabs kept so it lines up", () => {
    expect(caretSnippet("\tSELECT nope;", 12, 9)).toBe("  12 | \tSELECT nope;\n     | \t       ^");
  });

  it("cuts a long line to a window around the column", () => {
    const line = `${"x".repeat(5_000_000)}'unterminated`;
    const shown = caretSnippet(line, 1, 5_000_001, { width: 40 });
    const [text, caret] = shown.split("\n");
    expect(text.length).toBeLessThan(60);
    expect(text.startsWith("  1 | …")).toBe(true);
    expect(text.includes("'unterminated")).toBe(true);
    expect(text[caret.indexOf("^")]).toBe("'");
  });

  it("places the caret under the same token after redaction shortens the line", () => {
    const redact = (t: string) => t.replace(/PASSWORD '[^']*'/g, "PASSWORD '***'");
    const shown = caretSnippet("ALTER ROLE a PASSWORD 'hunter2hunter2' VALID UNTIL 'x' nope", 3, 56, { redact });
    const [text, caret] = shown.split("\n");
    expect(text).not.toContain("hunter2");
    expect(text.slice(caret.indexOf("^"))).toBe("nope");
  });

  it("puts the caret after the line for a column past its end, and shows control characters as spaces", () => {
    expect(caretSnippet("SELECT 'a\r", 2, 20)).toBe("  2 | SELECT 'a \n    |           ^");
  });
});
