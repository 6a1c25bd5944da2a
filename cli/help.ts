/** The text of `csv-sorter --help`; the README's "Command line" section says the same. */
export const HELP = `csv-sorter — the CSV-Sorter server from scripts and cron, over its HTTP API

Usage: csv-sorter <command> [options]

Commands:
  import <file.csv|file.xlsx> [--text-columns a,b] [--label-column c] [--append-to <import id>]
         [--field-column FIELD=COLUMN]... [--encoding utf-8|utf-16le|utf-16be|windows-1252]
         [--header-row LINE] [--sheet NAME|N] [--on-duplicate skip|append|import] [--wait]
                      upload a CSV or an Excel workbook (streamed); prints the import id; --wait
                      follows embedding; a workbook's first visible sheet is read unless --sheet;
                      encoding and header row (file line) are detected unless given; a file with
                      the same rows as an earlier import is refused (exit 4) unless --on-duplicate;
                      --field-column (repeatable): a catalogue field's seed column in this file
                      (FIELD= for none), instead of the field's own
  sample [--wait]     load the server's sample catalogue (1,200 products, a quarter categorised)
                      to try the product; prints the import id
  wait <import id>    follow embedding until every row is embedded (or failed)
  export [-o file|-] [--import N] [--rows all|reviewed|accepted] [--format csv|jsonl]
         [--value-column name] [--meta|--no-meta] [--delimiter comma|semicolon|tab] [--bom]
                      download the normalised catalogue; written to a temporary file and renamed
                      when complete (default name: the server's), "-" for stdout; for Excel:
                      --bom and the delimiter of its locale (e.g. --bom --delimiter semicolon)
  retrain [--wait]    train a new model version; --wait follows the job
  load-model [version]
                      activate a version (default: the newest ready one), or roll back to an older one
  status              imports, review queue, active model and workers (model and workers: ops tokens)
  fields              the normalised fields with their entries and decided / suggested rows
  fields add <name> [--kind catalogue] [--seed-column COLUMN]
                      add a catalogue field (ops): each row is matched to an entry of its list;
                      --seed-column: the column of files imported from now on that already holds it
  fields entries <name> <file.csv>
                      upload the field's reference list (ops): canonical names in the column "name"
                      (else the first), other columns kept as attributes; rows are matched next

Options:
  --url URL           server (env CSV_SORTER_URL, default http://127.0.0.1:8000)
  --token TOKEN       API token (env CSV_SORTER_TOKEN; prefer the variable: arguments show in ps)
  --json              machine-readable results on stdout
  -q, --quiet         no progress on stderr
  --timeout SECONDS   give up after this long (exit 6)
  -h, --help          this text

Progress goes to stderr (a bar on a terminal, a line every few seconds otherwise); results to stdout.

Exit codes:
  0    done
  1    the work failed: a retrain job failed, rows failed to embed (or an unexpected error)
  2    usage error, or a local file that cannot be read or written (nothing was sent)
  3    not authorised: missing, wrong or revoked token (401), or a role too low (403)
  4    input refused (404, 409, 413, 415, 422), with the server's message
  5    server unreachable, 5xx, or a response broken off
  6    timed out (--timeout)
  130  interrupted (Ctrl-C): the request is aborted, no partial export file is left
`;
