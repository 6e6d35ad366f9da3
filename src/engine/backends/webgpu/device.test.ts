import { describe, expect, it } from "vitest";
import { dawnCreateOptions } from "./device.js";
import { DlError } from "../../../util/errors.js";

describe("DL_WEBGPU_DAWN_TOGGLES", () => {
  it("passes Dawn toggle names through as create() options, and nothing when unset or empty", () => {
    expect(dawnCreateOptions({})).toEqual([]);
    expect(dawnCreateOptions({ DL_WEBGPU_DAWN_TOGGLES: " , " })).toEqual([]);
    expect(dawnCreateOptions({ DL_WEBGPU_DAWN_TOGGLES: "disable_robustness" })).toEqual(["enable-dawn-features=disable_robustness"]);
    expect(dawnCreateOptions({ DL_WEBGPU_DAWN_TOGGLES: "disable_robustness, skip_validation" }))
      .toEqual(["enable-dawn-features=disable_robustness,skip_validation"]);
  });

  it("refuses what cannot be a toggle name (it would reach Dawn's option parser)", () => {
    expect(() => dawnCreateOptions({ DL_WEBGPU_DAWN_TOGGLES: "disable_robustness,backend=null" })).toThrow(DlError);
    expect(() => dawnCreateOptions({ DL_WEBGPU_DAWN_TOGGLES: "Disable-Robustness" })).toThrow(/'Disable-Robustness' is not a Dawn toggle name/);
  });
});
