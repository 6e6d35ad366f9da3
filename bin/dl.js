#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import("../dist/cli/main.js").then((m) => m.main(process.argv)).catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
    process.stderr.write("dl: the compiled files are missing; run `npm install` (or `npm run build`) in the dl folder.\n");
    process.exit(1);
  }
  throw err;
});
