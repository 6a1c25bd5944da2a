/**
 * Model version files in the database (table model_version_files): the store every machine reaches, with
 * `<MODELS_DIR>/<version>/` as each machine's cache of it. Storing reads the folder a training run wrote
 * and verified; caching writes a missing or damaged folder from the database through a temporary folder
 * and a rename (as model_store.ts saves), so a crash leaves either no folder or a complete one.
 * loadModelVersion still checks every file against the manifest after either path.
 */
import fs from "node:fs";
import path from "node:path";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { moveIntoPlace, sha256, versionDir, writeDurably } from "./model_store.ts";
import { modelTempPrefix } from "./model_temp_folders.ts";

/** manifest.json and every file it lists, as the folder holds them; undefined when there is no manifest. */
function folderFiles(dir: string): Map<string, Uint8Array> | undefined {
  const manifestPath = path.join(dir, "manifest.json");
  if (!fs.existsSync(manifestPath)) return undefined;
  const manifest = fs.readFileSync(manifestPath);
  let listed: string[];
  try {
    listed = Object.keys((JSON.parse(new TextDecoder().decode(manifest)) as { files?: object }).files ?? {});
  } catch {
    return undefined;
  }
  const files = new Map<string, Uint8Array>([["manifest.json", new Uint8Array(manifest)]]);
  for (const name of listed) {
    if (!/^[a-z]+\.(json|bin)$/.test(name)) return undefined;
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return undefined;
    files.set(name, new Uint8Array(fs.readFileSync(file)));
  }
  return files;
}

/**
 * Stores the files of `<modelsDir>/<version>/` (manifest.json and every file it lists) in the database,
 * replacing what was stored for that version. Run it in the transaction that marks the version ready.
 * Returns the bytes stored. Throws when the folder has no readable manifest or lacks a listed file.
 */
export async function storeModelFiles(db: Queryable, modelsDir: string, version: string): Promise<number> {
  const files = folderFiles(versionDir(modelsDir, version));
  if (!files) throw new Error(`Cannot store model "${version}": its folder is incomplete`);
  await db.query(sql`DELETE FROM model_version_files WHERE version = ${version}`);
  let total = 0;
  for (const [name, bytes] of files) {
    await db.query(sql`
      INSERT INTO model_version_files (version, name, bytes, sha256)
      VALUES (${version}, ${name}, ${bytes}, ${sha256(bytes)})`);
    total += bytes.length;
  }
  return total;
}

/** What {@link cacheModelFiles} did. */
export type CacheOutcome =
  /** The folder already held exactly the stored files. */
  | "cached"
  /** The folder was missing or differed, and was written from the database. */
  | "fetched"
  /** The database holds no files for this version (trained before they were stored): stored from the folder. */
  | "stored"
  /** Neither the database nor this machine has the files: loading will say what is missing. */
  | "missing";

/**
 * Makes `<modelsDir>/<version>/` hold the database's files of `version`. A folder that matches the stored
 * checksums is left alone (one small query); a missing or different one is written anew; a version whose
 * files were never stored but whose folder is here is stored now, so other machines can load it too.
 */
export async function cacheModelFiles(
  db: Queryable,
  modelsDir: string,
  version: string,
): Promise<CacheOutcome> {
  const dir = versionDir(modelsDir, version);
  const stored = await db.query<{ name: string; sha256: string }>(sql`
    SELECT name, sha256 FROM model_version_files WHERE version = ${version} ORDER BY name`);
  const local = folderFiles(dir);
  if (stored.length === 0) {
    if (!local) return "missing";
    await storeModelFiles(db, modelsDir, version);
    return "stored";
  }
  if (
    local && local.size === stored.length &&
    stored.every((file) => local.has(file.name) && sha256(local.get(file.name)!) === file.sha256)
  ) {
    return "cached";
  }
  fs.mkdirSync(modelsDir, { recursive: true });
  const tempDir = fs.mkdtempSync(modelTempPrefix(modelsDir, version));
  try {
    for (const { name } of stored) {
      // One file per query: a version's lexical channel is tens of MB, never all in one result.
      const [row] = await db.query<{ bytes: Uint8Array }>(sql`
        SELECT bytes FROM model_version_files WHERE version = ${version} AND name = ${name}`);
      writeDurably(path.join(tempDir, name), new Uint8Array(row.bytes));
    }
    moveIntoPlace(tempDir, dir);
  } catch (error) {
    fs.rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }
  return "fetched";
}
