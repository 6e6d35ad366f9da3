// The library behind the `dl` command: everything the CLI does is callable from here.
export { VERSION } from "./version.js";
