/**
 * The `csv-sorter` bin against the real app (Deno, embedded PGlite, the real embedding model, worker in
 * process), run as a child process exactly as a cron job would: an ops account made through the setup
 * link, an API token made on the Accounts page, then import → wait → status → export → retrain → load, and
 * every failure exit code. Hanging and broken-off servers are small local fakes: the real app does neither
 * on demand.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import Papa from "papaparse";
import { z } from "zod";
import { Field, FieldList, ImportCreated, ImportProgress } from "../contract/schemas.ts";
import { datasetRows, freePort, REPO_ROOT, toCsv } from "../testing/testing.ts";
import { buildXlsx } from "../testing/xlsx_fixture.ts";
import { type AppProcess, startApp } from "../web/e2e/app_process.ts";
import { E2E_OPS, setupTokenFrom } from "../web/e2e/login.ts";
import { EXIT } from "./exit_codes.ts";

const BIN = path.join(REPO_ROOT, "cli/csv-sorter.mjs");
const ROW_COUNT = 150;

let app: AppProcess;
let workDir: string;
let opsToken: string;
let reviewerToken: string;
let csvPath: string;
let uploaded: Record<string, string>[];
let importId: number;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with `args`; `onSpawn` may signal it. */
function runCli(
  args: string[],
  options: { token?: string; url?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: workDir,
      env: {
        ...process.env,
        CSV_SORTER_URL: options.url ?? app.baseUrl,
        CSV_SORTER_TOKEN: options.token ?? opsToken,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("spawn", () => options.onSpawn?.(child.pid!));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The session cookie of a redirect answer. */
function sessionCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith("csv_sorter_session="));
  assert.ok(cookie, `no session cookie; status ${response.status}`);
  return cookie.split(";")[0];
}

/** Creates an API token on the Accounts page, as an ops person does; returns it (shown once). */
async function createToken(cookie: string, name: string, role: "ops" | "reviewer"): Promise<string> {
  const admin = await (await fetch(`${app.baseUrl}/admin`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(admin)?.[1];
  assert.ok(csrf, "the Accounts page has no CSRF token");
  const response = await fetch(`${app.baseUrl}/admin/tokens`, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name, role, _csrf: csrf }),
  });
  const page = await response.text();
  assert.equal(response.status, 201, page.slice(0, 500));
  const token = /data-testid="new-token-value"[^>]*>\s*([^<\s]+)/.exec(page)?.[1];
  if (!token?.startsWith("csvs_")) throw new Error("The Accounts page shows no new token");
  return token;
}

/** A local HTTP server answering every request with `handler`; closes with the test. */
async function fakeServer(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Files in the work dir whose name ends in `.part` (temporary export files). */
function partFiles(): string[] {
  return fs.readdirSync(workDir).filter((name) => name.endsWith(".part"));
}

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-cli-"));
  app = await startApp({ MODELS_DIR: path.join(workDir, "models") });
  const setup = await fetch(`${app.baseUrl}/setup`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      token: setupTokenFrom(app.output()),
      name: E2E_OPS.name,
      password: E2E_OPS.password,
      password_again: E2E_OPS.password,
    }),
    redirect: "manual",
  });
  assert.equal(setup.status, 303, await setup.text());
  const cookie = sessionCookie(setup);
  opsToken = await createToken(cookie, "nightly", "ops");
  reviewerToken = await createToken(cookie, "reviewer-script", "reviewer");
  // These tests retrain and load through the CLI; with the defaults the worker would do both by itself.
  const policy = await fetch(`${app.baseUrl}/settings/auto-retrain`, {
    method: "PUT",
    headers: { authorization: `Bearer ${opsToken}`, "content-type": "application/json" },
    body: JSON.stringify({ enabled: false, every_labels: 50, every_minutes: 5, auto_activate: false }),
  });
  assert.equal(policy.status, 200, await policy.text());

  // Real products of categories common enough to train on; every fourth row's category left for the model.
  const all = datasetRows(3000).filter((row) => row.category.trim() !== "");
  const counts = new Map<string, number>();
  for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
  uploaded = all.filter((row) => counts.get(row.category)! >= 30).slice(0, ROW_COUNT).map((row, index) => ({
    title: row.title,
    brand: row.brand,
    category: index % 4 === 3 ? "" : row.category,
    price: row.price,
  }));
  assert.equal(uploaded.length, ROW_COUNT);
  csvPath = path.join(workDir, "amazon sample.csv");
  fs.writeFileSync(csvPath, toCsv(uploaded));
}, { timeout: 120_000 });

after(async () => {
  await app?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test("import --wait streams a real CSV, prints its id and returns once every row is embedded", {
  timeout: 180_000,
}, async () => {
  const run = await runCli([
    "import",
    csvPath,
    "--text-columns",
    "title,brand",
    "--label-column",
    "category",
    "--wait",
  ]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.match(lines[0], /^\d+$/, run.stdout);
  importId = Number(lines[0]);
  // stderr is not a terminal here: plain progress lines, then the summary.
  assert.match(
    run.stderr,
    new RegExp(`Import ${importId} "amazon sample.csv": ${ROW_COUNT} of ${ROW_COUNT}`),
  );
  assert.doesNotMatch(run.stderr + run.stdout, new RegExp(opsToken), "the token is never printed");

  const progress = ImportProgress.parse(
    await (await fetch(`${app.baseUrl}/imports/${importId}`, {
      headers: { authorization: `Bearer ${opsToken}` },
    })).json(),
  );
  assert.equal(progress.row_count, ROW_COUNT);
  assert.equal(progress.embedded_count, ROW_COUNT);
  assert.equal(progress.file_name, "amazon sample.csv");
});

test("import --append-to --json prints the contract's ImportCreated; wait follows an import by id", {
  timeout: 120_000,
}, async () => {
  const small = path.join(workDir, "small.csv");
  fs.writeFileSync(small, toCsv(uploaded.slice(0, 5)));
  const run = await runCli(["import", small, "--append-to", String(importId), "--json", "--quiet"]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  assert.equal(run.stderr, "", "--quiet prints nothing on stderr");
  const created = ImportCreated.parse(JSON.parse(run.stdout));
  assert.equal(created.row_count, 5);
  assert.equal(created.appended_to, importId, "--append-to reaches the server as append_to");
  const wait = await runCli(["wait", String(created.import_id), "--json"]);
  assert.equal(wait.code, EXIT.ok, wait.stderr);
  const final = ImportProgress.parse(JSON.parse(wait.stdout));
  assert.equal(final.embedded_count, 5);
});

test("status --json reports imports, the review queue, the model and the live worker", async () => {
  const run = await runCli(["status", "--json"]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const status = JSON.parse(run.stdout);
  const mine = status.imports.find((item: { id: number }) => item.id === importId);
  assert.equal(mine.embedded_count, ROW_COUNT);
  // Unlabelled rows wait for review: a quarter of the upload plus the 5-row import's two unlabelled ones.
  assert.ok(status.review_queue >= ROW_COUNT / 4, `review_queue ${status.review_queue}`);
  assert.equal(status.active_model, null);
  assert.ok(status.workers.live >= 1, JSON.stringify(status.workers));

  const text = await runCli(["status"]);
  assert.equal(text.code, EXIT.ok, text.stderr);
  assert.match(text.stdout, /Review queue: \d+ rows/);
  assert.match(text.stdout, /amazon sample\.csv +150\/150 embedded/);

  // A reviewer's token may not see models or workers: the status says so instead of failing.
  const reviewer = await runCli(["status", "--json"], { token: reviewerToken });
  assert.equal(reviewer.code, EXIT.ok, reviewer.stderr);
  const limited = JSON.parse(reviewer.stdout);
  assert.equal(limited.imports.length, status.imports.length);
  assert.equal("active_model" in limited, false);
  assert.equal("workers" in limited, false);
});

test("export -o writes the upload's rows in order with the value column, atomically", async () => {
  const out = path.join(workDir, "export.csv");
  const run = await runCli(["export", "-o", out, "--import", String(importId)]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  assert.equal(run.stdout.trim(), `Wrote ${ROW_COUNT} rows to ${out}`);
  // Not a terminal: plain lines, ending with the final count against the server's total.
  assert.match(run.stderr, new RegExp(`^export: ${ROW_COUNT} of ${ROW_COUNT} rows`, "m"));
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(out, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  assert.deepEqual(parsed.meta.fields, [
    "title",
    "brand",
    "category",
    "price",
    "normalised_value",
    "normalised_value_source",
    "normalised_value_confidence",
    "normalised_value_model_version",
  ]);
  assert.equal(parsed.data.length, ROW_COUNT);
  assert.deepEqual(parsed.data.map((row) => row.title), uploaded.map((row) => row.title));
  for (const [index, row] of parsed.data.entries()) {
    if (uploaded[index].category) {
      assert.equal(row.normalised_value, uploaded[index].category);
      assert.equal(row.normalised_value_source, "seed");
    }
  }
  assert.deepEqual(partFiles(), []);

  // The total the progress is measured against comes from the server.
  const head = await fetch(`${app.baseUrl}/export?import_id=${importId}&rows=accepted`, {
    headers: { authorization: `Bearer ${opsToken}` },
  });
  await head.body?.cancel();
  assert.equal(head.headers.get("x-total-rows"), String(uploaded.filter((row) => row.category).length));
});

test("export -o - streams JSON Lines to stdout with the chosen rows and value column", async () => {
  const run = await runCli([
    "export",
    "-o",
    "-",
    "--import",
    String(importId),
    "--format",
    "jsonl",
    "--rows",
    "accepted",
    "--value-column",
    "category",
    "--no-meta",
  ]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const lines = run.stdout.trim().split("\n").map((line) =>
    z.record(z.string(), z.unknown()).parse(JSON.parse(line))
  );
  const labelled = uploaded.filter((row) => row.category);
  assert.equal(lines.length, labelled.length);
  assert.deepEqual(Object.keys(lines[0]), ["title", "brand", "category", "price"]);
  assert.deepEqual(lines.map((line) => line.category), labelled.map((row) => row.category));
});

test("retrain --wait follows the job to a new version and load-model activates it", {
  timeout: 300_000,
}, async () => {
  const retrain = await runCli(["retrain", "--wait"]);
  assert.equal(retrain.code, EXIT.ok, retrain.stderr);
  const version = /Retrain job \d+ done: version (v\d+)/.exec(retrain.stdout)?.[1];
  assert.ok(version, retrain.stdout);
  assert.match(retrain.stderr, /job \d+: /, "job progress lines on stderr");

  const load = await runCli(["load-model", "--json"]);
  assert.equal(load.code, EXIT.ok, load.stderr);
  assert.equal(JSON.parse(load.stdout).version, version);

  const status = JSON.parse((await runCli(["status", "--json"])).stdout);
  assert.equal(status.active_model, version);

  // Loading it again: no version is ready any more, and the server says so (exit 4).
  const again = await runCli(["load-model"]);
  assert.equal(again.code, EXIT.refused, again.stderr);
  assert.match(again.stderr, /Cannot load a model: no version is ready/);
  const unknown = await runCli(["load-model", "v999"]);
  assert.equal(unknown.code, EXIT.refused);
  assert.match(unknown.stderr, /Cannot load model "v999": no such version/);
});

test("a wrong token exits 3, a reviewer's token on an ops command exits 3", async () => {
  const wrong = await runCli(["status"], { token: "csvs_not-a-real-token" });
  assert.equal(wrong.code, EXIT.unauthorised, wrong.stderr);
  assert.doesNotMatch(wrong.stderr, /csvs_not-a-real-token/);
  const reviewer = await runCli(["retrain"], { token: reviewerToken });
  assert.equal(reviewer.code, EXIT.unauthorised, reviewer.stderr);
  assert.match(reviewer.stderr, /403|ops/);
});

test("a missing file exits 2 (usage: nothing is sent), a bad option exits 2", async () => {
  const missing = await runCli(["import", path.join(workDir, "nope.csv")]);
  assert.equal(missing.code, EXIT.usage);
  assert.match(missing.stderr, /Cannot import ".*nope\.csv": no such file/);
  const bad = await runCli(["export", "--rows", "some"]);
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /rows/);
  const stray = await runCli(["status", "--wait"]);
  assert.equal(stray.code, EXIT.usage);
});

test("a ragged CSV exits 4 with the server's message and leaves no rows", async () => {
  const ragged = path.join(workDir, "ragged.csv");
  fs.writeFileSync(ragged, "title,brand\nfirst,acme\nsecond,acme,extra\n");
  const run = await runCli(["import", ragged]);
  assert.equal(run.code, EXIT.refused, run.stderr);
  assert.match(run.stderr, /POST \/upload-csv failed: .*ragged\.csv.*line 3 has 3 fields/i);
  assert.equal(run.stdout, "");
  const imports = z.array(ImportProgress).parse(
    await (await fetch(`${app.baseUrl}/imports`, { headers: { authorization: `Bearer ${opsToken}` } }))
      .json(),
  );
  const refused = imports.filter((item) => item.file_name === "ragged.csv");
  assert.deepEqual(refused.map((item) => [item.status, item.row_count]), [["failed", 0]]);
  const unknownColumn = await runCli(["import", csvPath, "--text-columns", "nope"]);
  assert.equal(unknownColumn.code, EXIT.refused);
  assert.match(unknownColumn.stderr, /nope/);
});

test("import --encoding and --header-row reach the server; a bad value is a usage error", {
  timeout: 120_000,
}, async () => {
  // Windows-1252 bytes under a title line: read as given, the header on line 3.
  const file = path.join(workDir, "prices-1252.csv");
  const text = "Price list Acme\n\ntitle,brand\nCaf\u00e9 cr\u00e8me,Acme\n";
  fs.writeFileSync(file, Buffer.from(text, "latin1"));
  const run = await runCli([
    "import",
    file,
    "--encoding",
    "windows-1252",
    "--header-row",
    "3",
    "--json",
    "--quiet",
  ]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const created = ImportCreated.parse(JSON.parse(run.stdout));
  assert.deepEqual([created.encoding, created.header_line, created.columns], [
    "windows-1252",
    3,
    ["title", "brand"],
  ]);
  const wrongHeader = await runCli(["import", file, "--header-row", "1"]);
  assert.equal(wrongHeader.code, EXIT.refused, wrongHeader.stderr);
  assert.match(wrongHeader.stderr, /line 3 has 2 fields, the header \(line 1\) has 1/);
  const bad = await runCli(["import", file, "--encoding", "ebcdic"]);
  assert.equal(bad.code, EXIT.usage, bad.stderr);
  assert.match(bad.stderr, /encoding/);
});

test("import --sheet reads that sheet of an .xlsx workbook", { timeout: 120_000 }, async () => {
  const file = path.join(workDir, "supplier.xlsx");
  fs.writeFileSync(
    file,
    buildXlsx([
      { name: "Notes", rows: [["note"], ["read me"]] },
      { name: "Week 12", rows: [["title", "ean"], ["Garden hose 20 m", { v: "4006381333931" }]] },
    ]),
  );
  const run = await runCli(["import", file, "--sheet", "Week 12", "--json", "--quiet"]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const created = ImportCreated.parse(JSON.parse(run.stdout));
  assert.deepEqual([created.encoding, created.columns, created.row_count], ["xlsx", ["title", "ean"], 1]);
  const missing = await runCli(["import", file, "--sheet", "Week 13"]);
  assert.equal(missing.code, EXIT.refused, missing.stderr);
  assert.match(missing.stderr, /no sheet "Week 13"; its sheets are "Notes", "Week 12"/);
});

test("a server that is not running exits 5", async () => {
  const port = await freePort();
  const run = await runCli(["status"], { url: `http://127.0.0.1:${port}` });
  assert.equal(run.code, EXIT.unavailable, run.stderr);
  assert.match(run.stderr, new RegExp(`Cannot reach http://127\\.0\\.0\\.1:${port}`));
});

test("--timeout exits 6 when the server does not answer in time", async () => {
  const server = await fakeServer(() => {/* never answers */});
  try {
    const started = Date.now();
    const run = await runCli(["status", "--timeout", "1"], { url: server.url });
    assert.equal(run.code, EXIT.timedOut, run.stderr);
    assert.match(run.stderr, /Timed out after 1 s/);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await server.close();
  }
});

test("an export broken off by the server exits 5 and leaves no file", async () => {
  const server = await fakeServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/csv", "x-total-rows": "1000" });
    response.write("title,normalised_value\nfirst,a\n");
    setTimeout(() => response.socket?.destroy(), 100);
  });
  try {
    const out = path.join(workDir, "broken.csv");
    const run = await runCli(["export", "-o", out], { url: server.url });
    assert.equal(run.code, EXIT.unavailable, run.stderr);
    assert.match(run.stderr, /broke off after 1 rows/);
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(partFiles(), []);
  } finally {
    await server.close();
  }
});

test("Ctrl-C during an export aborts it, exits 130 and leaves no partial file", async () => {
  let requestClosed!: () => void;
  const closed = new Promise<void>((resolve) => (requestClosed = resolve));
  let sent!: () => void;
  const firstRows = new Promise<void>((resolve) => (sent = resolve));
  const server = await fakeServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/csv", "x-total-rows": "1000" });
    response.write("title,normalised_value\nfirst,a\nsecond,b\n", () => sent());
    response.on("close", () => requestClosed());
  });
  try {
    const out = path.join(workDir, "interrupted.csv");
    let pid = 0;
    const running = runCli(["export", "-o", out], { url: server.url, onSpawn: (child) => (pid = child) });
    await firstRows;
    // The rows reach the bin's temp file shortly after the server wrote them.
    const deadline = Date.now() + 10_000;
    while (partFiles().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(partFiles().length, 1, "the export writes into a temporary file first");
    process.kill(pid, "SIGINT");
    const run = await running;
    assert.equal(run.code, EXIT.interrupted, run.stderr);
    assert.match(run.stderr, /Interrupted/);
    await closed; // the request was aborted, not left hanging
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(partFiles(), []);
  } finally {
    await server.close();
  }
});

test("import of the same rows again exits 4 naming the earlier import; --on-duplicate skip prints it", async () => {
  const again = await runCli(["import", csvPath, "--label-column", "category"]);
  assert.equal(again.code, EXIT.refused, again.stderr);
  assert.match(again.stderr, new RegExp(`same rows as import ${importId} \\("amazon sample\\.csv"`));
  const skipped = await runCli(["import", csvPath, "--on-duplicate", "skip", "--json", "--quiet"]);
  assert.equal(skipped.code, EXIT.ok, skipped.stderr);
  const created = ImportCreated.parse(JSON.parse(skipped.stdout));
  assert.equal(created.import_id, importId);
  assert.equal(created.duplicate_action, "skipped");
  const bad = await runCli(["import", csvPath, "--on-duplicate", "sometimes"]);
  assert.equal(bad.code, EXIT.usage, bad.stderr);
});

test("export --bom --delimiter semicolon writes the Excel dialect", async () => {
  const out = path.join(workDir, "excel.csv");
  const run = await runCli([
    "export",
    "-o",
    out,
    "--import",
    String(importId),
    "--bom",
    "--delimiter",
    "semicolon",
  ]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const bytes = fs.readFileSync(out);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const header = bytes.subarray(3).toString("utf8").split("\r\n")[0];
  assert.ok(header.split(";").includes("normalised_value"), header);
  assert.match(run.stdout, new RegExp(`Wrote ${ROW_COUNT} rows`));
});

test(
  "fields add, fields entries and fields: a catalogue field and its reference list from the command line",
  {
    timeout: 120_000,
  },
  async () => {
    const before = await runCli(["fields", "--json"]);
    assert.equal(before.code, EXIT.ok, before.stderr);
    assert.deepEqual(FieldList.parse(JSON.parse(before.stdout)).fields.map((field) => field.name), [
      "category",
    ]);

    const add = await runCli([
      "fields",
      "add",
      "maker",
      "--kind",
      "catalogue",
      "--seed-column",
      "brand",
      "--json",
    ]);
    assert.equal(add.code, EXIT.ok, add.stderr);
    const field = Field.parse(JSON.parse(add.stdout));
    assert.deepEqual([field.name, field.kind, field.seed_column, field.position], [
      "maker",
      "catalogue",
      "brand",
      1,
    ]);
    const again = await runCli(["fields", "add", "maker"]);
    assert.equal(again.code, EXIT.refused, again.stderr);
    assert.match(
      again.stderr,
      /POST \/fields failed: Cannot add the field "maker": a field of that name exists/,
    );
    const label = await runCli(["fields", "add", "size", "--kind", "label"]);
    assert.equal(label.code, EXIT.refused, label.stderr);
    assert.match(label.stderr, /the label field is "category"/);
    const reviewer = await runCli(["fields", "add", "size"], { token: reviewerToken });
    assert.equal(reviewer.code, EXIT.unauthorised, reviewer.stderr);

    // A reference list as spreadsheets save it: a byte order mark, a quoted comma, an attribute column.
    const list = path.join(workDir, "makers.csv");
    fs.writeFileSync(list, '\uFEFFname,country\r\n"Canon, Inc.",JP\r\nLogitech,CH\r\nSamsung,KR\r\n,XX\r\n');
    const entries = await runCli(["fields", "entries", "maker", list]);
    assert.equal(entries.code, EXIT.ok, entries.stderr);
    assert.match(
      entries.stdout,
      /^maker: 4 rows read, 3 entries added, 0 already there, 1 with no name skipped/,
    );
    const json = await runCli(["fields", "entries", "maker", list, "--json", "--quiet"]);
    assert.equal(json.code, EXIT.ok, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { field: "maker", rows: 4, added: 0, existing: 3, skipped: 1 });
    const onLabel = await runCli(["fields", "entries", "category", list]);
    assert.equal(onLabel.code, EXIT.refused, onLabel.stderr);
    assert.match(onLabel.stderr, /"category" is a label field/);

    const listed = await runCli(["fields"]);
    assert.equal(listed.code, EXIT.ok, listed.stderr);
    assert.match(listed.stdout, /^category +label +- +- +- +-$/m);
    assert.match(listed.stdout, /^maker +catalogue +3 +\d+ +\d+ +brand$/m);

    // Usage errors: nothing is sent.
    for (
      const args of [
        ["fields", "add", "Maker Name"],
        ["fields", "add", "size", "--kind", "colour"],
        ["fields", "entries", "maker"],
        ["fields", "entries", "maker", path.join(workDir, "nope.csv")],
        ["fields", "remove", "maker"],
        ["fields", "--kind", "catalogue"],
        ["status", "--seed-column", "brand"],
      ]
    ) {
      const run = await runCli(args);
      assert.equal(run.code, EXIT.usage, `${args.join(" ")}: ${run.stderr}`);
    }
    const missing = await runCli(["fields", "entries", "maker", path.join(workDir, "nope.csv")]);
    assert.match(missing.stderr, /Cannot upload ".*nope\.csv": no such file/);
  },
);

test("import --field-column chooses a catalogue field's seed column for the file; FIELD= is none", {
  timeout: 120_000,
}, async () => {
  // The field "maker" (added above, its seed column "brand") with the entries "Canon, Inc." and "Logitech".
  const made = (delivery: string) =>
    toCsv([
      { title: `Canon PIXMA TS3320 printer ${delivery}`, brand: "canon", "make, as sold": "CANON, INC." },
      { title: `Logitech K380 keyboard ${delivery}`, brand: "logitech", "make, as sold": "Logitech" },
      { title: `Generic HDMI cable ${delivery}`, brand: "", "make, as sold": "" },
    ]);
  /** The export's maker and maker_source of import `id`, row by row. */
  const makers = async (id: number) => {
    const response = await fetch(`${app.baseUrl}/export?import_id=${id}`, {
      headers: { authorization: `Bearer ${opsToken}` },
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    return parsed.data.map((row) => [row.maker, row.maker_source]);
  };

  const chosen = path.join(workDir, "makers chosen.csv");
  fs.writeFileSync(chosen, made("first"));
  const run = await runCli(["import", chosen, "--field-column", "maker=make, as sold", "--json", "--quiet"]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  const created = ImportCreated.parse(JSON.parse(run.stdout));
  assert.deepEqual((await makers(created.import_id)).slice(0, 2), [["Canon, Inc.", "seed"], [
    "Logitech",
    "seed",
  ]]);

  // FIELD=: no seed column for this file, though the field's own ("brand") is in it.
  const none = path.join(workDir, "makers none.csv");
  fs.writeFileSync(none, made("second"));
  const unseeded = await runCli(["import", none, "--field-column", "maker=", "--json", "--quiet"]);
  assert.equal(unseeded.code, EXIT.ok, unseeded.stderr);
  const second = ImportCreated.parse(JSON.parse(unseeded.stdout));
  assert.ok((await makers(second.import_id)).every(([, source]) => source !== "seed"));

  const unknown = await runCli(["import", none, "--field-column", "nothing=brand"]);
  assert.equal(unknown.code, EXIT.refused, unknown.stderr);
  assert.match(unknown.stderr, /no field named "nothing"/);
  const missing = await runCli(["import", none, "--field-column", "maker=colour"]);
  assert.equal(missing.code, EXIT.refused, missing.stderr);
  assert.match(missing.stderr, /no column named "colour"/);
  for (
    const args of [
      ["--field-column", "maker"],
      ["--field-column", "=brand"],
      ["--field-column", "maker=brand", "--field-column", "maker=title"],
      ["--field-column", "Maker=brand"],
    ]
  ) {
    const usage = await runCli(["import", none, ...args]);
    assert.equal(usage.code, EXIT.usage, `${args.join(" ")}: ${usage.stderr}`);
  }
});
