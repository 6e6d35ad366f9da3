import type { Command } from "commander";
import { renderComponentHelp, renderComponentList, renderYamlReference } from "../../config/reference.js";

/** `dl components [NAME]`: the YAML components, or one component's keywords (generated from the registry). */
export function componentsCommand(program: Command): void {
  program
    .command("components")
    .description("list the YAML components (!obj:NAME), or one component's keywords with types, defaults and meaning")
    .argument("[name]", "a component's dl name or pylearn2 path, e.g. GaussianBinaryRBM or pylearn2.models.rbm.GaussianBinaryRBM")
    .option("--markdown", "print the whole reference as Markdown (the README's YAML reference)")
    .action((name: string | undefined, o: { markdown?: boolean }) => {
      if (o.markdown) process.stdout.write(renderYamlReference());
      else process.stdout.write(name === undefined ? renderComponentList() : renderComponentHelp(name));
    });
}
