import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderYamlReference } from "../src/config/index.js";
import { readPng } from "../src/io/png.js";
import { ROOT } from "./helpers/cli.js";

describe("documentation stays true", () => {
  it("docs/yaml-reference.md is what the registry generates (regenerate: dl components --markdown > docs/yaml-reference.md)", () => {
    const committed = readFileSync(resolve(ROOT, "docs/yaml-reference.md"), "utf8");
    expect(committed.trim()).toBe(renderYamlReference().trim());
  });

  it("every picture the README shows exists and decodes", () => {
    const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
    const pictures = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)].map((m) => m[1]);
    expect(pictures.length).toBeGreaterThanOrEqual(3);
    for (const p of pictures) {
      const file = resolve(ROOT, p);
      expect(existsSync(file), p).toBe(true);
      const img = readPng(file);
      expect(img.width).toBeGreaterThan(100);
    }
  });
});
