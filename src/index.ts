// The library behind the `dl` command: everything the CLI does is callable from here.
export { VERSION } from "./version.js";
export { loadExperiment, loadConfig, loadConfigText, parseOverride, printConfig, renderYamlReference, REGISTRY, defineComponent, component } from "./config/index.js";
export type { Experiment, TrainExperiment, LoadOptions, ComponentDef, ComponentKind, BuildContext } from "./config/index.js";
export { showWeights, defaultWeightsPath, type ShowWeightsOptions, type ShowWeightsResult } from "./viz/show-weights.js";
export { tilePatches, gridFor, type PatchSet, type Rescale } from "./viz/patch-viewer.js";
export { loadMonitors, monitorChart, writeChart, renderChartTerminal, type PlotOptions } from "./viz/plot-monitor.js";
export { buildCodebook, selectChannels, defaultSelection, type XAxis } from "./viz/channels.js";
export { encodePng, decodePng, readPng, writePng, type PixelImage } from "./io/png.js";
export * as data from "./data/index.js";
export { DenseDesignMatrix, loadDataset, saveDataset, resolveDataDir, makePresetDataset, fetchCifar10, fetchMnist } from "./data/index.js";
export { MLP, type MLPOptions } from "./models/mlp.js";
export * as nn from "./nn/index.js";
export { Default } from "./costs/mlp-default.js";
export { MethodCost } from "./costs/method-cost.js";
export { Hinge } from "./costs/hinge.js";
export { WeightDecay, L1WeightDecay } from "./costs/weight-decay.js";
export { Dropout } from "./costs/dropout.js";
export { SumOfCosts } from "./costs/sum-of-costs.js";
