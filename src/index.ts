// The library behind the `dl` command: everything the CLI does is callable from here.
export { VERSION } from "./version.js";
export { loadExperiment, loadConfig, loadConfigText, parseOverride, printConfig, renderYamlReference, REGISTRY, defineComponent, component } from "./config/index.js";
export type { Experiment, TrainExperiment, LoadOptions, ComponentDef, ComponentKind, BuildContext } from "./config/index.js";
