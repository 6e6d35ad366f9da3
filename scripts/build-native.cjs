#!/usr/bin/env node
// Builds the optional native kernels addon (native/ -> native/build/Release/dl_native.node) with
// node-gyp. Run by `npm install` (the package's "install" script): it must NEVER fail the
// install. Without a compiler, headers or node-gyp, dl runs on its prebuilt WebAssembly kernels,
// so any failure prints one line and exits 0. `node scripts/build-native.cjs --strict` fails
// loudly instead (for developers).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const strict = process.argv.includes("--strict");

function done(message, ok) {
  console.log(`dl: ${message}`);
  process.exit(ok || !strict ? 0 : 1);
}

if (process.env.DL_SKIP_NATIVE === "1") done("native kernels skipped (DL_SKIP_NATIVE=1); using WebAssembly kernels", true);

// npm sets npm_config_node_gyp to its bundled node-gyp; outside npm, look beside npm itself.
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    path.join(path.dirname(process.execPath), "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
  ];
  return candidates.find((p) => p && fs.existsSync(p));
}

const gyp = findNodeGyp();
if (!gyp) done("native kernels not built (node-gyp not found); using WebAssembly kernels", false);

const args = [gyp, "rebuild", "--release"];
// Use the headers that ship beside this node (tarball and distro installs have them) so the
// build needs no network; otherwise node-gyp downloads them.
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (fs.existsSync(path.join(prefix, "include/node/node_api.h"))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, {
  cwd: path.join(root, "native"),
  encoding: "utf8",
  timeout: 300_000,
  env: { ...process.env, JOBS: "max" },
});
const log = `${r.stdout ?? ""}${r.stderr ?? ""}`;
if (r.status !== 0) {
  fs.mkdirSync(path.join(root, "native/build"), { recursive: true });
  fs.writeFileSync(path.join(root, "native/build/build.log"), log);
  const why = r.error ? r.error.message : (log.match(/error[^\n]*/i)?.[0] ?? `node-gyp exited ${r.status}`);
  done(`native kernels not built (${why.trim().slice(0, 160)}; log: native/build/build.log); using WebAssembly kernels`, false);
}
done("native kernels built (native/build/Release/dl_native.node)", true);
