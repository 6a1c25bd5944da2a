/**
 * The command line, parsed with node:util parseArgs and validated with zod — the contract's own schemas
 * where an option is a request parameter (upload options, export query, model version) — so a bad value is
 * a usage error (exit 2) before anything is sent.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { ExportQuery, FieldInput, FieldName, LoadModelInput, UploadOptions } from "../contract/schemas.ts";
import { CliError, EXIT } from "./exit_codes.ts";
import type { ExportOptions } from "./export_command.ts";
import type { FieldsAction } from "./fields_command.ts";
import type { ImportOptions } from "./import_command.ts";

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
  "text-columns": { type: "string" },
  "label-column": { type: "string" },
  "field-column": { type: "string", multiple: true },
  "append-to": { type: "string" },
  encoding: { type: "string" },
  "header-row": { type: "string" },
  sheet: { type: "string" },
  "on-duplicate": { type: "string" },
  wait: { type: "boolean" },
  output: { type: "string", short: "o" },
  import: { type: "string" },
  rows: { type: "string" },
  format: { type: "string" },
  "value-column": { type: "string" },
  meta: { type: "boolean" },
  "no-meta": { type: "boolean" },
  delimiter: { type: "string" },
  bom: { type: "boolean" },
  kind: { type: "string" },
  "seed-column": { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;
const GLOBAL: OptionName[] = ["url", "token", "json", "quiet", "timeout", "help"];

/** Each command: its own options and how many positionals it takes. */
const COMMANDS = {
  import: {
    options: [
      "text-columns",
      "label-column",
      "field-column",
      "append-to",
      "encoding",
      "header-row",
      "sheet",
      "on-duplicate",
      "wait",
    ],
    positionals: [1, 1],
  },
  sample: { options: ["wait"], positionals: [0, 0] },
  wait: { options: [], positionals: [1, 1] },
  export: {
    options: ["output", "import", "rows", "format", "value-column", "meta", "no-meta", "delimiter", "bom"],
    positionals: [0, 0],
  },
  retrain: { options: ["wait"], positionals: [0, 0] },
  "load-model": { options: [], positionals: [0, 1] },
  status: { options: [], positionals: [0, 0] },
  // `fields`, `fields add NAME`, `fields entries NAME FILE`: the sub-command checks its own arguments.
  fields: { options: ["kind", "seed-column"], positionals: [0, 3] },
} as const satisfies Record<string, { options: OptionName[]; positionals: [number, number] }>;

/** A command name. */
export type CommandName = keyof typeof COMMANDS;

/** Options every command takes. */
export interface GlobalOptions {
  baseUrl: string;
  token: string | undefined;
  json: boolean;
  quiet: boolean;
  /** Seconds before the command gives up (exit 6). */
  timeout: number | undefined;
}

/** A parsed, validated command line. */
export type CommandLine =
  | { command: "help" }
  | (
    & GlobalOptions
    & (
      | { command: "import"; options: ImportOptions }
      | { command: "sample"; wait: boolean }
      | { command: "wait"; importId: number }
      | { command: "export"; options: ExportOptions }
      | { command: "retrain"; wait: boolean }
      | { command: "load-model"; input: LoadModelInput }
      | { command: "status" }
      | { command: "fields"; action: FieldsAction }
    )
  );

const BaseUrl = z.string().trim().url().refine(
  (value) => /^https?:\/\//i.test(value),
  "use http:// or https://",
);
const Timeout = z.coerce.number().positive().max(30 * 24 * 3600);
const ImportId = z.coerce.number().int().positive().max(2 ** 31 - 1);
const Token = z.string().trim().min(1).max(1000);

/** Parses `value` with `schema`, or throws a usage error naming `what` (never echoing a token). */
function valid<T extends z.ZodType>(schema: T, value: unknown, what: string, echo = true): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  const shown = echo && typeof value === "string" ? ` "${value}"` : "";
  throw new CliError(EXIT.usage, `Invalid ${what}${shown}: ${where}${issue.message}`);
}

/**
 * `--field-column FIELD=COLUMN`, repeatable, as the field → column mapping of `field_columns` (validated
 * with the upload options); `FIELD=` is no seed column for this file. The column is everything after the
 * first "=" (a field name has none), so it may hold commas, colons or "=".
 */
function fieldColumns(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const mapping: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    const field = pair.slice(0, equals).trim();
    if (equals < 0 || field === "") {
      throw new CliError(EXIT.usage, `Invalid --field-column "${pair}": give FIELD=COLUMN (FIELD= for none)`);
    }
    if (Object.hasOwn(mapping, field)) {
      throw new CliError(EXIT.usage, `Invalid --field-column "${pair}": the field "${field}" is given twice`);
    }
    mapping[field] = pair.slice(equals + 1);
  }
  return mapping;
}

/** Parses `argv` (without node and the script) with `env` for defaults. */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined>): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(EXIT.usage, (error as Error).message.split("\n")[0]);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === "help") return { command: "help" };
  if (!Object.hasOwn(COMMANDS, name)) throw new CliError(EXIT.usage, `Unknown command "${name}"`);
  const command = name as CommandName;
  const spec = COMMANDS[command];
  const allowed = new Set<string>([...GLOBAL, ...spec.options]);
  const stray = Object.keys(values).find((option) => !allowed.has(option));
  if (stray) throw new CliError(EXIT.usage, `Option --${stray} does not apply to "${command}"`);
  const [min, max] = spec.positionals;
  if (rest.length < min || rest.length > max) {
    throw new CliError(
      EXIT.usage,
      rest.length > max
        ? `Too many arguments for "${command}": ${rest.slice(max).join(" ")}`
        : `Missing argument for "${command}"`,
    );
  }

  const token = values.token ?? env.CSV_SORTER_TOKEN;
  const global: GlobalOptions = {
    baseUrl: valid(BaseUrl, values.url ?? env.CSV_SORTER_URL ?? "http://127.0.0.1:8000", "server URL"),
    token: token === undefined || token === "" ? undefined : valid(Token, token, "token", false),
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    timeout: values.timeout === undefined ? undefined : valid(Timeout, values.timeout, "--timeout"),
  };

  switch (command) {
    case "import": {
      const upload = valid(
        UploadOptions.pick({
          text_columns: true,
          label_column: true,
          field_columns: true,
          append_to: true,
          encoding: true,
          header_row: true,
          sheet: true,
          on_duplicate: true,
        }),
        {
          text_columns: values["text-columns"],
          label_column: values["label-column"],
          field_columns: fieldColumns(values["field-column"]),
          append_to: values["append-to"],
          encoding: values.encoding,
          header_row: values["header-row"],
          sheet: values.sheet,
          on_duplicate: values["on-duplicate"],
        },
        "import options",
      );
      return {
        ...global,
        command,
        options: {
          file: rest[0],
          textColumns: upload.text_columns,
          labelColumn: upload.label_column,
          fieldColumns: upload.field_columns,
          appendTo: upload.append_to,
          encoding: upload.encoding,
          headerRow: upload.header_row,
          sheet: upload.sheet,
          onDuplicate: upload.on_duplicate,
          wait: values.wait ?? false,
        },
      };
    }
    case "sample":
      return { ...global, command, wait: values.wait ?? false };
    case "wait":
      return { ...global, command, importId: valid(ImportId, rest[0], "import id") };
    case "export": {
      if (values.meta && values["no-meta"]) {
        throw new CliError(EXIT.usage, "Use --meta or --no-meta, not both");
      }
      const query = valid(ExportQuery, {
        rows: values.rows,
        format: values.format,
        value_column: values["value-column"],
        import_id: values.import === undefined ? undefined : valid(ImportId, values.import, "--import"),
        meta: values["no-meta"] ? "false" : values.meta ? "true" : undefined,
        delimiter: values.delimiter,
        bom: values.bom ? "true" : undefined,
      }, "export options");
      const output = values.output;
      if (output !== undefined && output.trim() === "") {
        throw new CliError(EXIT.usage, "Invalid -o: empty path");
      }
      return { ...global, command, options: { query, output } };
    }
    case "retrain":
      return { ...global, command, wait: values.wait ?? false };
    case "load-model":
      return { ...global, command, input: valid(LoadModelInput, { version: rest[0] }, "model version") };
    case "status":
      return { ...global, command };
    case "fields":
      return { ...global, command, action: fieldsAction(rest, values) };
  }
}

/** The sub-command of `fields` and its arguments. */
function fieldsAction(rest: string[], values: { kind?: string; "seed-column"?: string }): FieldsAction {
  const [action = "list", ...args] = rest;
  const expected: Record<string, number> = { list: 0, add: 1, entries: 2 };
  if (!Object.hasOwn(expected, action)) {
    throw new CliError(
      EXIT.usage,
      `Unknown command "fields ${action}": use fields, fields add or fields entries`,
    );
  }
  if (args.length !== expected[action]) {
    throw new CliError(
      EXIT.usage,
      args.length > expected[action]
        ? `Too many arguments for "fields ${action}": ${args.slice(expected[action]).join(" ")}`
        : `Missing argument for "fields ${action}"`,
    );
  }
  if (action !== "add") {
    const stray = (["kind", "seed-column"] as const).find((option) => values[option] !== undefined);
    if (stray) throw new CliError(EXIT.usage, `Option --${stray} does not apply to "fields ${action}"`);
  }
  switch (action) {
    case "add":
      return {
        action,
        input: valid(
          FieldInput,
          { name: args[0], kind: values.kind ?? "catalogue", seed_column: values["seed-column"] },
          "field",
        ),
      };
    case "entries":
      return { action, field: valid(FieldName, args[0], "field name"), file: args[1] };
    default:
      return { action: "list" };
  }
}
