import { Registry, type AnyComponentDef } from "../registry.js";
import { TRAINING_COMPONENTS } from "./training.js";
import { MODEL_COMPONENTS } from "./models.js";
import { COST_COMPONENTS } from "./costs.js";
import { DATA_COMPONENTS } from "./data.js";

/**
 * The one static list of YAML components. Each area keeps its definitions in its own file and
 * exports an array; add the array here (one import and one spread line per area).
 */
const ALL: readonly AnyComponentDef[] = [
  ...TRAINING_COMPONENTS,
  ...MODEL_COMPONENTS,
  ...COST_COMPONENTS,
  ...DATA_COMPONENTS,
];

export const REGISTRY = new Registry(ALL);
export { UNSUPPORTED_PYLEARN2 } from "./unsupported.js";
