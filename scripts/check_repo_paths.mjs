#!/usr/bin/env node
// Fails when a tracked file refers to a path outside the repository: the product, its tests, benchmarks and
// images must work from a clone with nothing beside it. Two kinds of reference are caught:
//   - a relative path ("../x/…") that leaves the repository from the file's folder, or that does not exist
//     from there (nor is a git-ignored build output) but leaves the repository from its root (code that
//     resolves paths against the repo root);
//   - the repository root followed by "..", in any language's spelling;
//   - an absolute path into a machine's work or home folders (/work/…, /home/…, /root/…, /Users/…).
// The user's cache (~/.cache/…, $HOME/.cache/…) is allowed: downloads and builds may live there. A line that
// names such a path for another reason (an attack string in a test, a path inside an image or a package)
// says so with "check_repo_paths: ignore" on that line or one of the three above it.
// Usage: node scripts/check_repo_paths.mjs   (exit 1 with one line per reference)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const files = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(
  Boolean,
);
const TEXT =
  /\.(ts|tsx|mjs|js|json|sh|py|md|yml|yaml|sql|css|txt|toml)$|^(Dockerfile.*|\.ci\/run|\.npmrc|\.env\.example|\.dockerignore)$/;
// A relative path: one or more "../" followed by at least one name. Names stop at quotes, spaces and brackets.
const RELATIVE = /(?:^|[\s"'`(=:,[])((?:\.\.\/)+[A-Za-z0-9_.@-][^\s"'`)\]},;:]*)/g;
// Climbing out of the repository root by name: `${repo_root}/../x`, path.join(REPO_ROOT, "../x"),
// REPO_ROOT.parent / "x" (Python).
const ROOT_ESCAPE =
  /(?:repo_?root|REPO_ROOT)(?:\}?\/\.\.(?:\/|\b)|\s*,\s*["'`]\.\.(?:\/|["'`])|\.parent\b)/gi;
const ABSOLUTE = /(?:^|[\s"'`(=:])(\/(?:work|home|root|Users)\/[^\s"'`)]*)/g;

const IGNORE = "check_repo_paths: ignore";

// A path the build writes (models/, node_modules/) is absent from a fresh clone but inside it: git ignores it.
function ignoredByGit(resolved) {
  try {
    execFileSync("git", ["check-ignore", "--quiet", "--no-index", path.relative(root, resolved)], {
      cwd: root,
    });
    return true;
  } catch {
    return false;
  }
}

function outside(resolved) {
  const relative = path.relative(root, resolved);
  return relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

const problems = [];
for (const file of files) {
  if (!TEXT.test(file) || file.startsWith("datasets/") || file === "scripts/check_repo_paths.mjs") continue;
  const full = path.join(root, file);
  if (!fs.existsSync(full)) continue;
  const lines = fs.readFileSync(full, "utf8").split("\n");
  lines.forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (lines.slice(Math.max(0, index - 3), index + 1).some((text) => text.includes(IGNORE))) return;
    for (const match of line.matchAll(RELATIVE)) {
      // A template ("../x/${name}.csv") is checked up to its last fixed folder.
      const reference = match[1].replace(/\$\{.*$/, "").replace(/[.]+$/, "").replace(
        /[^/]*$/,
        (rest) => match[1].includes("${") ? "" : rest,
      );
      const fromFile = path.resolve(path.dirname(full), reference);
      const fromRoot = path.resolve(root, reference);
      const absent = !fs.existsSync(fromFile) && !ignoredByGit(fromFile);
      if (outside(fromFile) || (absent && outside(fromRoot))) {
        problems.push(`${where}: refers to "${reference}", outside the repository`);
      }
    }
    for (const match of line.matchAll(ROOT_ESCAPE)) {
      problems.push(`${where}: climbs out of the repository root ("${match[0]}")`);
    }
    for (const match of line.matchAll(ABSOLUTE)) {
      problems.push(`${where}: refers to "${match[1]}", a machine's own folder`);
    }
  });
}

for (const problem of problems) console.error(`check_repo_paths: ${problem}`);
if (problems.length > 0) {
  console.error(`check_repo_paths: ${problems.length} reference(s) to paths outside the repository`);
  process.exit(1);
}
console.log(`check_repo_paths: ${files.length} tracked files refer to no path outside the repository`);
