/** Local files the commands send: opened before any request, so a bad path sends nothing. */
import fs from "node:fs";
import { CliError, EXIT } from "./exit_codes.ts";

/**
 * Opens `file` for reading, or explains why it cannot be (exit 2: nothing was sent); `verb` names what
 * the command does with it in the message ("import", "upload").
 */
export function openFile(file: string, verb: string): { size: number; stream: fs.ReadStream } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code;
    throw new CliError(EXIT.usage, `Cannot ${verb} "${file}": ${reason}`);
  }
  if (!stat.isFile()) throw new CliError(EXIT.usage, `Cannot ${verb} "${file}": not a file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new CliError(EXIT.usage, `Cannot ${verb} "${file}": permission denied`);
  }
  return { size: stat.size, stream: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) };
}
