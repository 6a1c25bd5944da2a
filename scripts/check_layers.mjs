#!/usr/bin/env node
// Fails when product code imports upwards: the layout (README "Layout") is a promise that each folder of
// core/ depends only on the ones below it, that core/ never reaches into web/, gpu-worker/ or the test
// harness, and that no route borrows from another route. Tests (*_test.ts, *_e2e.ts) may import anything.
// Usage: node scripts/check_layers.mjs   (exit 1 with one line per upward import)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
// core/'s concepts, lowest first; a module may import its own folder or a strictly lower rank.
const CORE_RANK = {
  "core/domain_error.ts": -1,
  "core/text_key.ts": -1,
  "core/parse_input.ts": 0,
  "core/runtime": 0,
  "core/db": 1,
  "core/embedding": 2,
  "core/accounts": 2,
  "core/export": 2,
  "core/jobs": 3,
  "core/learning": 3,
  "core/fields": 3,
  "core/imports": 6,
  "core/catalogue": 4,
  "core/models": 4,
  "core/suggest": 5,
  "core/model_lifecycle": 6,
  "core/review": 6,
  "core/worker": 7,
};
// Folders only tests, benchmarks and scripts may import.
const HARNESS = ["testing/", "bench/", "scripts/"];

function coreRank(file) {
  const key = Object.keys(CORE_RANK).find((prefix) => file === prefix || file.startsWith(`${prefix}/`));
  return key === undefined ? undefined : { key, rank: CORE_RANK[key] };
}

function problem(from, to) {
  const isTest = /_(test|e2e)\.tsx?$/.test(from) || from.startsWith("web/e2e/");
  if (isTest || HARNESS.some((prefix) => from.startsWith(prefix))) return undefined;
  if (HARNESS.some((prefix) => to.startsWith(prefix))) return "product code imports the test/bench harness";
  if (from.startsWith("core/") || from.startsWith("contract/")) {
    if (!to.startsWith("core/") && !to.startsWith("contract/")) return "the core reaches out of core/";
    const a = coreRank(from), b = coreRank(to);
    if (from.startsWith("contract/") && to.startsWith("core/")) return "contract/ imports the core";
    if (a && b && a.key !== b.key && b.rank >= a.rank) {
      return `${a.key} (rank ${a.rank}) imports ${b.key} (rank ${b.rank})`;
    }
    if (a && !b && to.startsWith("core/")) return `${to} has no place in the layering`;
  }
  if (from.startsWith("web/http/") && /^web\/(routes|islands|components)\//.test(to)) {
    return "middleware imports a page";
  }
  if (from.startsWith("web/routes/") && to.startsWith("web/routes/")) {
    return "a route borrows from another route";
  }
  if (from.startsWith("gpu-worker/") && to.startsWith("web/")) {
    return "the worker process imports the web server";
  }
  return undefined;
}

const files = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0")
  .filter((file) => /\.(ts|tsx)$/.test(file) && !file.startsWith("node_modules/"));
const problems = [];
for (const file of files) {
  const full = path.join(root, file);
  if (!fs.existsSync(full)) continue;
  const text = fs.readFileSync(full, "utf8");
  for (
    const match of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^"']*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g,
    )
  ) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1] ?? match[2]));
    const why = problem(file, target);
    if (why) problems.push(`${file} -> ${target}: ${why}`);
  }
}
for (const line of problems) console.error(`check_layers: ${line}`);
if (problems.length > 0) {
  console.error(`check_layers: ${problems.length} import(s) against the layering`);
  process.exit(1);
}
console.log(`check_layers: ${files.length} modules import only downwards`);
