#!/usr/bin/env node
// `npm run bench -- NAME [options]` (package.json builds dist/ first): runs dist/bench/main.js.
import("../dist/bench/main.js").then(async (m) => {
  process.exitCode = await m.main(process.argv.slice(2));
}).catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/bench/main.js")) {
    process.stderr.write("bench: the compiled files are missing; run `npm run build` in the dl folder.\n");
    process.exit(1);
  }
  throw err;
});
