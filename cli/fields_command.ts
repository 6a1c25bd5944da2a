/**
 * `csv-sorter fields`: lists the normalised fields (GET /fields); `fields add NAME` adds a catalogue
 * field (POST /fields); `fields entries NAME FILE.csv` streams a reference list as the body of
 * POST /fields/NAME/entries (text/csv) and prints what it added.
 */
import { Readable, Transform } from "node:stream";
import { EntriesUploaded, Field, type FieldInput, FieldList } from "../contract/schemas.ts";
import { type CommandContext, printResult, progressFor } from "./context.ts";
import { openFile } from "./open_file.ts";

/** What `fields` was asked to do, validated. */
export type FieldsAction =
  | { action: "list" }
  | { action: "add"; input: FieldInput }
  | { action: "entries"; field: string; file: string };

/** The fields as a table, for people. */
export function formatFields(fields: Field[]): string {
  const width = Math.max(4, ...fields.map((field) => field.name.length));
  const lines = [`${"NAME".padEnd(width)}  KIND       ENTRIES  DECIDED  SUGGESTED  SEED COLUMN`];
  for (const field of fields) {
    const catalogue = field.kind === "catalogue";
    const count = (value: number, pad: number) => (catalogue ? String(value) : "-").padStart(pad);
    lines.push(
      `${field.name.padEnd(width)}  ${field.kind.padEnd(9)}  ${count(field.entries, 7)}  ` +
        `${count(field.decided, 7)}  ${count(field.suggested, 9)}  ${field.seed_column ?? "-"}`,
    );
  }
  return lines.join("\n");
}

/** Runs `fields`. */
export async function fieldsCommand(context: CommandContext, action: FieldsAction): Promise<void> {
  switch (action.action) {
    case "list": {
      const list = await context.client.json(FieldList, "/fields");
      printResult(context, formatFields(list.fields), list);
      return;
    }
    case "add": {
      const field = await context.client.json(Field, "/fields", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(action.input),
      });
      printResult(
        context,
        `Added the ${field.kind} field ${field.name} (position ${field.position}` +
          `${field.seed_column ? `, seed column "${field.seed_column}"` : ""}); upload its reference list ` +
          `with: csv-sorter fields entries ${field.name} FILE.csv`,
        field,
      );
      return;
    }
    case "entries": {
      const { size, stream } = openFile(action.file, "upload");
      const progress = progressFor(context, "upload", "bytes");
      let sent = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sent += chunk.length;
          progress.update(sent, size);
          callback(null, chunk);
        },
      });
      let uploaded: EntriesUploaded;
      try {
        uploaded = await context.client.json(
          EntriesUploaded,
          `/fields/${encodeURIComponent(action.field)}/entries`,
          {
            method: "POST",
            headers: { "content-type": "text/csv" },
            body: Readable.toWeb(stream.pipe(counter)) as ReadableStream<Uint8Array>,
          },
        );
      } finally {
        progress.finish();
        stream.destroy();
      }
      printResult(
        context,
        `${uploaded.field}: ${uploaded.rows} rows read, ${uploaded.added} entries added, ` +
          `${uploaded.existing} already there${
            uploaded.skipped > 0 ? `, ${uploaded.skipped} with no name skipped` : ""
          }; the workers match the field's rows next`,
        uploaded,
      );
      return;
    }
  }
}
