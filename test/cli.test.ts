import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ROOT, runDl } from "./helpers/cli.js";

describe("dl command line", () => {
  it("--version prints the package version", () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { version: string };
    const r = runDl(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("--help lists the commands", () => {
    const r = runDl(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: dl");
  });

  it("an unknown command suggests the nearest one and exits 2", () => {
    const r = runDl(["helpp"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'helpp'");
    expect(r.stderr).toContain("Did you mean `help`?");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("an unknown option is a usage error (exit 2)", () => {
    const r = runDl(["--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option");
  });
});
