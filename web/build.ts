/**
 * Builds the browser assets: the island bundle (esbuild, Preact JSX) and the stylesheet (Tailwind CLI),
 * into web/static/build/. Run by `npm run build`, and by `npm start` before the server starts.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import process from "node:process";
import * as esbuild from "esbuild";

const root = path.resolve(import.meta.dirname ?? ".", "..");
const out = path.join(root, "web/static/build");

await esbuild.build({
  entryPoints: [path.join(root, "web/islands/client.ts")],
  outfile: path.join(out, "islands.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
});
await esbuild.stop();

const tailwind = spawnSync(
  path.join(root, "node_modules/.bin/tailwindcss"),
  ["-i", path.join(root, "web/styles.css"), "-o", path.join(out, "app.css"), "--minify"],
  { cwd: root, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" },
);
if (tailwind.status !== 0) {
  console.error(tailwind.stderr);
  process.exit(1);
}
console.log(`Built ${path.relative(root, out)}/islands.js and app.css`);
