import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { writeSafetensors } from "../io/safetensors.js";
import type { DlFormat } from "../io/model-file.js";
import { REGISTRY } from "./components/index.js";
import { component, defineComponent, Registry, type AnyComponentDef } from "./registry.js";

/**
 * Helpers for the config tests: a scratch folder with small dl files for `!pkl:`, and a registry
 * that has the tutorial datasets even before src/data registers them (the real definitions win
 * whenever they exist, so these tests use them as soon as they land).
 */

export const CONFIGS = resolve(import.meta.dirname, "../../configs");

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), "dl-config-"));
}

/** A tiny safetensors file with dl's format tag, enough for `!pkl:` (which only checks the format). */
export function writeDlFile(path: string, format: DlFormat): string {
  writeSafetensors(path, { X: { shape: [1, 2], data: new Float32Array([1, 2]) } }, { format, class: "Test" });
  return path;
}

const standIns: AnyComponentDef[] = [
  defineComponent({
    name: "MNIST",
    aliases: ["pylearn2.datasets.mnist.MNIST"],
    kind: "dataset",
    description: "test stand-in",
    schema: z
      .object({
        which_set: z.enum(["train", "test"]),
        start: z.number().int().min(0).nullable().default(null),
        stop: z.number().int().min(0).nullable().default(null),
      })
      .strict(),
  }),
  defineComponent({
    name: "TransformerDataset",
    aliases: ["pylearn2.datasets.transformer_dataset.TransformerDataset"],
    kind: "dataset",
    description: "test stand-in",
    schema: z.object({ raw: component("dataset"), transformer: component("model") }).strict(),
  }),
];

/** dl's registry plus stand-ins for tutorial datasets it does not register (yet). */
export function tutorialRegistry(): Registry {
  const missing = standIns.filter((d) => !REGISTRY.lookup(d.name) && !d.aliases.some((a) => REGISTRY.lookup(a)));
  return missing.length === 0 ? REGISTRY : new Registry([...REGISTRY.all(), ...missing]);
}
