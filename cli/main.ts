/**
 * `csv-sorter`: the entry point. Parses the command line, wires Ctrl-C and --timeout to one abort signal
 * (every request and wait listens to it), runs the command, and turns its outcome into an exit code.
 */
import process from "node:process";
import { type CommandLine, parseCommandLine } from "./args.ts";
import { ApiClient } from "./client.ts";
import type { CommandContext } from "./context.ts";
import { CliError, EXIT } from "./exit_codes.ts";
import { exportCommand } from "./export_command.ts";
import { fieldsCommand } from "./fields_command.ts";
import { HELP } from "./help.ts";
import { importCommand, sampleCommand } from "./import_command.ts";
import { loadModelCommand, retrainCommand } from "./model_commands.ts";
import { statusCommand } from "./status_command.ts";
import { waitCommand } from "./wait_command.ts";

function run(line: Exclude<CommandLine, { command: "help" }>, context: CommandContext): Promise<unknown> {
  switch (line.command) {
    case "import":
      return importCommand(context, line.options);
    case "sample":
      return sampleCommand(context, { wait: line.wait });
    case "wait":
      return waitCommand(context, line.importId);
    case "export":
      return exportCommand(context, line.options);
    case "retrain":
      return retrainCommand(context, { wait: line.wait });
    case "load-model":
      return loadModelCommand(context, line.input);
    case "status":
      return statusCommand(context);
    case "fields":
      return fieldsCommand(context, line.action);
  }
}

/** Runs the command line `argv`; resolves to the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    // The first Ctrl-C aborts cleanly (requests, temp files); a second one means now.
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort(new CliError(EXIT.interrupted, "Interrupted"));
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const line = parseCommandLine(argv, env);
    if (line.command === "help") {
      process.stdout.write(HELP);
      return EXIT.ok;
    }
    if (!line.token) {
      throw new CliError(EXIT.unauthorised, "No API token: set CSV_SORTER_TOKEN or pass --token");
    }
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
    if (line.timeout !== undefined) {
      const seconds = line.timeout;
      timer = setTimeout(
        () => controller.abort(new CliError(EXIT.timedOut, `Timed out after ${seconds} s (--timeout)`)),
        seconds * 1000,
      );
    }
    const context: CommandContext = {
      client: new ApiClient({ baseUrl: line.baseUrl, token: line.token, signal: controller.signal }),
      signal: controller.signal,
      stdout: process.stdout,
      stderr: process.stderr,
      json: line.json,
      quiet: line.quiet,
    };
    await run(line, context);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`csv-sorter: ${error.message}\n`);
      if (error.code === EXIT.usage && /^(Unknown|Missing|Too many|Option)/.test(error.message)) {
        process.stderr.write("Run csv-sorter --help for usage.\n");
      }
      return error.code;
    }
    process.stderr.write(`csv-sorter: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.failed;
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
  }
}

// Exit at once: idle keep-alive connections would otherwise hold the process for seconds.
process.exit(await main(process.argv.slice(2), process.env));
