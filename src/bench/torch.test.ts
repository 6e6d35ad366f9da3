import { describe, expect, it } from "vitest";
import { torchEnv } from "./torch.js";

describe("torchEnv", () => {
  it("caps OpenBLAS's own pool and OpenMP at the thread count, which torch.set_num_threads does not reach", () => {
    const env = torchEnv(1);
    expect(env.OPENBLAS_NUM_THREADS).toBe("1");
    expect(env.OMP_NUM_THREADS).toBe("1");
    expect(torchEnv().OPENBLAS_NUM_THREADS).toBe(process.env.OPENBLAS_NUM_THREADS);
  });
});
