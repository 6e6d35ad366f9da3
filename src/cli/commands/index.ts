import type { Command } from "commander";

/**
 * Every `dl` command, in the order `dl --help` lists them. A command is a function that adds
 * itself to the program (one file per command in this folder); only commands that work are listed.
 */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
];
