#!/usr/bin/env node
// Draws datasets/sample/sample_catalogue.csv from datasets/walmart_amazon/tableB.csv (CC BY 4.0): the 12
// largest categories, 100 rows each, in a seeded shuffle; one row in four keeps its category as a seed
// label, the others leave it empty for the product to suggest. Rerunning gives the same file.
// Usage: node --import tsx scripts/make_sample.ts
import fs from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { seededRandom } from "../core/learning/training.ts";

const root = path.resolve(import.meta.dirname ?? ".", "..");
const source = path.join(root, "datasets/walmart_amazon/tableB.csv");
const target = path.join(root, "datasets/sample/sample_catalogue.csv");
const CATEGORIES = 12;
const PER_CATEGORY = 100;
const SEED_LABEL_EVERY = 4;

type Row = Record<string, string>;
const rows = Papa.parse<Row>(fs.readFileSync(source, "utf8"), { header: true, skipEmptyLines: true }).data;
const counts = new Map<string, number>();
for (const row of rows) if (row.category) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
const largest = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, CATEGORIES);
const random = seededRandom(20271);
const picked: Row[] = [];
for (const [category] of largest) {
  const members = rows.filter((row) => row.category === category && row.title.trim());
  for (let i = members.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [members[i], members[j]] = [members[j], members[i]];
  }
  picked.push(...members.slice(0, PER_CATEGORY));
}
for (let i = picked.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [picked[i], picked[j]] = [picked[j], picked[i]];
}
const out = picked.map((row, index) => ({
  sku: `AMZ-${row.id}`,
  title: row.title,
  brand: row.brand,
  modelno: row.modelno,
  price: row.price,
  category: index % SEED_LABEL_EVERY === 0 ? row.category : "",
}));
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, Papa.unparse(out, { newline: "\n" }) + "\n");
console.log(
  `make_sample: ${out.length} rows, ${largest.length} categories -> ${path.relative(root, target)}`,
);
