import { describe, expect, it } from "vitest";
import { closestName, didYouMean } from "../../src/text/did-you-mean";

describe("didYouMean", () => {
  const keys = ["lockTimeout", "statementTimeout", "lockWait"];

  it("suggests the closest name within the distance, ignoring case when asked", () => {
    expect(didYouMean("lockTimout", keys)).toBe(" (did you mean lockTimeout?)");
    expect(didYouMean("LOCKTIMEOUT", keys, { ignoreCase: true, show: (k) => `dbpipe:${k}` })).toBe(" (did you mean dbpipe:lockTimeout?)");
    expect(closestName("LOCKTIMEOUT", keys)).toBeUndefined();
  });

  it("suggests nothing for a name that is nowhere near", () => {
    expect(didYouMean("region", keys)).toBe("");
  });
});
