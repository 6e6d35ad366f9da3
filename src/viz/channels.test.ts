import { describe, expect, it } from "vitest";
import type { ChannelHistory, MonitorHistory } from "../io/model-file.js";
import { UsageError } from "../util/errors.js";
import {
  buildCodebook,
  charFromNumber,
  defaultSelection,
  formatCodebook,
  globToRegExp,
  modelLabels,
  numberAwareCompare,
  selectChannels,
} from "./channels.js";

const h = (vals: number[]): ChannelHistory => ({
  val: vals,
  batch: vals.map((_, i) => i * 10),
  example: vals.map((_, i) => i * 100),
  epoch: vals.map((_, i) => i),
  time: vals.map((_, i) => i * 2),
});
const monitor = (names: string[]): MonitorHistory => ({ channels: Object.fromEntries(names.map((n) => [n, h([1, 2])])) });

describe("pylearn2's channel codes", () => {
  it("char_from_number: A..Z then BA, BB (base 26, A is the zero digit)", () => {
    expect([0, 1, 25, 26, 27, 51, 52, 675, 676].map(charFromNumber)).toEqual(["A", "B", "Z", "BA", "BB", "BZ", "CA", "ZZ", "BAA"]);
  });

  it("number-aware order: numbers by value, numbers before letters", () => {
    const names = ["h10", "h2", "h1", "h_mean", "h", "a.5", "a.25"];
    expect([...names].sort(numberAwareCompare)).toEqual(["a.25", "a.5", "h", "h1", "h2", "h10", "h_mean"]);
  });

  it("codes follow the sorted channel order, and channels get a :model suffix with several models", () => {
    const one = buildCodebook([{ label: "m", monitor: monitor(["objective", "layer10_x", "layer2_x"]) }]);
    expect(one.map((r) => `${r.code}=${r.key}`)).toEqual(["A=layer2_x", "B=layer10_x", "C=objective"]);
    const two = buildCodebook([
      { label: "a", monitor: monitor(["nll"]) },
      { label: "b", monitor: monitor(["nll", "err"]) },
    ]);
    expect(two.map((r) => `${r.code}=${r.key}`)).toEqual(["A=err:b", "B=nll:a", "C=nll:b"]);
    expect(formatCodebook(two).split("\n")[0]).toBe("A. err:b  2 points, last 2");
  });
});

describe("selectChannels", () => {
  const names = ["objective", "train_nll", "valid_nll", "valid_misclass", "learning_rate", "h_mean"];
  const book = buildCodebook([{ label: "m", monitor: monitor(names) }]);
  // sorted: h_mean A, learning_rate B, objective C, train_nll D, valid_misclass E, valid_nll F
  const pick = (s: string) => selectChannels(book, s).refs.map((r) => r.channel);

  it("takes names, <names>, globs, codes and code ranges, in codebook order", () => {
    expect(pick("objective")).toEqual(["objective"]);
    expect(pick("<h_mean>, objective")).toEqual(["h_mean", "objective"]);
    expect(pick("valid_*")).toEqual(["valid_misclass", "valid_nll"]);
    expect(pick("*_nll,B")).toEqual(["learning_rate", "train_nll", "valid_nll"]);
    expect(pick("A, C-E")).toEqual(["h_mean", "objective", "train_nll", "valid_misclass"]);
    expect(pick("F,A,A")).toEqual(["h_mean", "valid_nll"]);
  });

  it("reads pylearn2's x-axis letters", () => {
    expect(selectChannels(book, "C, e").x).toBe("epochs");
    expect(selectChannels(book, "C,b").x).toBe("batches");
    expect(selectChannels(book, "s,C").x).toBe("seconds");
  });

  it("unknown names and empty globs are usage errors with a suggestion", () => {
    expect(() => pick("objectve")).toThrow(UsageError);
    expect(() => pick("objectve")).toThrow(/no channel or code `objectve`\. Did you mean `objective`\?/);
    expect(() => pick("test_*")).toThrow(/`test_\*` matches no channel/);
    expect(() => pick("E-C")).toThrow(/runs backwards/);
    expect(() => pick("ZZ")).toThrow(/no channel or code `ZZ`/);
  });

  it("the default is the objective-like channels", () => {
    expect(defaultSelection(book).refs.map((r) => r.channel)).toEqual(["objective", "train_nll", "valid_misclass", "valid_nll"]);
    const grbm = buildCodebook([{ label: "m", monitor: monitor(["bias_hid_min", "objective", "reconstruction_error", "h_max"]) }]);
    expect(defaultSelection(grbm).refs.map((r) => r.channel)).toEqual(["objective", "reconstruction_error"]);
    const none = buildCodebook([{ label: "m", monitor: monitor(["a", "b"]) }]);
    expect(defaultSelection(none).refs.length).toBe(2);
  });
});

describe("globToRegExp", () => {
  it("matches *, ? and classes, everything else literally", () => {
    expect(globToRegExp("valid_*").test("valid_y_nll")).toBe(true);
    expect(globToRegExp("valid_*").test("train_valid_")).toBe(false);
    expect(globToRegExp("h?mean").test("h_mean")).toBe(true);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
    expect(globToRegExp("[tv]*_nll").test("valid_nll")).toBe(true);
    expect(globToRegExp("[!t]*").test("train")).toBe(false);
  });
});

describe("modelLabels", () => {
  it("file stems, with parent folders only where stems collide", () => {
    expect(modelLabels(["runs/grbm.pkl", "other/rbm.pkl"])).toEqual(["grbm", "rbm"]);
    expect(modelLabels(["runs/a/model.pkl", "runs/b/model.pkl", "x.pkl"])).toEqual(["a/model", "b/model", "x"]);
    expect(modelLabels(["m.pkl", "m.pkl"])).toEqual(["m", "m (2)"]);
  });
});
