import { execFile, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const work = mkdtempSync(join(tmpdir(), "dl-kbuild-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command without blocking the test thread, so the slow builds below overlap. */
function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { encoding: "utf8", timeout: 300_000, env: env ?? process.env, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      done({ status: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const clang = has("clang-16") && has("wasm-ld-16");
const cc = has("cc") || has("gcc") || has("clang");

describe.concurrent("kernel builds (run side by side)", () => {
describe.concurrent("WebAssembly build", () => {
  // Without clang-16 + lld-16 (Debian packages) the committed files cannot be rebuilt here.
  it.skipIf(!clang)("npm run build:wasm reproduces the committed wasm/ files byte for byte", async () => {
    const out = join(work, "wasm");
    const r = await run("bash", [join(ROOT, "scripts/build-wasm.sh"), out]);
    expect(r.status, r.stderr).toBe(0);
    for (const name of ["dl-kernels-relaxed.wasm", "dl-kernels-simd128.wasm"]) {
      const built = readFileSync(join(out, name));
      const committed = readFileSync(join(ROOT, "wasm", name));
      expect(built.equals(committed), `${name} differs from the committed build: run npm run build:wasm and commit`).toBe(true);
    }
  });
});

/** A copy of what the install script needs, so a failed build cannot remove the real addon. */
function installCopy(name: string): string {
  const root = join(work, name);
  mkdirSync(join(root, "scripts"), { recursive: true });
  cpSync(join(ROOT, "scripts/build-native.cjs"), join(root, "scripts/build-native.cjs"));
  cpSync(join(ROOT, "csrc"), join(root, "csrc"), { recursive: true });
  mkdirSync(join(root, "native"));
  for (const f of ["binding.gyp", "dl_addon.c"]) cpSync(join(ROOT, "native", f), join(root, "native", f));
  return root;
}

describe("C self-test (csrc/dl_selftest.c)", () => {
  // Every ISA compiled into dl_kernels.c against a double triple loop, in C. With
  // DL_EMULATE_AVX512 the AVX-512 tile (8 x 32, its cache blocks) runs on 64-byte GCC vectors,
  // so its logic is checked on CPUs without AVX-512 (only the intrinsics themselves are not).
  it.skipIf(!cc).each([["native", []], ["emulated", ["-DDL_EMULATE_AVX512"]]] as const)(
    "passes for v4, this CPU's AVX2 and (%s) AVX-512", async (name, defs) => {
      const exe = join(work, `selftest-${name}`);
      const build = await run("cc", ["-O1", "-Wno-psabi", ...defs, `-I${join(ROOT, "csrc")}`, join(ROOT, "csrc/dl_selftest.c"), "-o", exe, "-lm"]);
      expect(build.stderr).toBe("");
      const r = await run(exe, []);
      expect(r.stdout).toMatch(/^isa 0 \(v4\): 256 cases, ok$/m);
      if (name === "emulated") expect(r.stdout).toMatch(/^isa 2 \(avx512\): 256 cases, ok$/m);
      expect(r.stdout).not.toMatch(/FAIL/);
      expect(r.status).toBe(0);
    }, 240_000);
});

describe.concurrent("native addon install script", () => {
  it("never fails the install: a broken compiler gives one line and exit 0 (exit 1 with --strict)", async () => {
    const root = installCopy("broken");
    const env = { ...process.env, CC: "false", CXX: "false", npm_config_node_gyp: process.env.npm_config_node_gyp ?? "" };
    const r = await run(process.execPath, [join(root, "scripts/build-native.cjs")], env);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dl: native kernels not built \(.+; log: native\/build\/build.log\); using WebAssembly kernels$/);
    expect(existsSync(join(root, "native/build/build.log"))).toBe(true);
    const strict = await run(process.execPath, [join(root, "scripts/build-native.cjs"), "--strict"], env);
    expect(strict.status).toBe(1);
  }, 300_000);

  it("DL_SKIP_NATIVE=1 skips the build", () => {
    const root = installCopy("skip");
    const r = spawnSync(process.execPath, [join(root, "scripts/build-native.cjs")], { encoding: "utf8", env: { ...process.env, DL_SKIP_NATIVE: "1" } });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("dl: native kernels skipped (DL_SKIP_NATIVE=1); using WebAssembly kernels\n");
    expect(existsSync(join(root, "native/build"))).toBe(false);
  });

  it.skipIf(!cc)("builds a loadable addon with a C compiler, without -march=native", async () => {
    const root = installCopy("ok");
    const r = await run(process.execPath, [join(root, "scripts/build-native.cjs"), "--strict"]);
    expect(r.stdout).toBe("dl: native kernels built (native/build/Release/dl_native.node)\n");
    const addon = createRequire(import.meta.url)(join(root, "native/build/Release/dl_native.node")) as { isaBest(): number };
    expect([0, 1, 2]).toContain(addon.isaBest());
    // the file must run on any x86-64: per-function targets only, never a global -march
    const cmd = readFileSync(join(root, "native/build/Release/.deps/Release/obj.target/csrc/dl_kernels.o.d"), "utf8").split("\n")[0];
    expect(cmd).toMatch(/dl_kernels\.c .*-O3/);
    expect(cmd).not.toMatch(/-march|-mavx|-mtune=native/);
  }, 300_000);
});
});
