import { test } from "node:test";
import assert from "node:assert/strict";
import { CatalogueIndex } from "./catalogue_index.ts";
import { retrieveCandidates } from "./candidates.ts";

test("retrieveCandidates() adds the entry that carries the row's model code when both channels miss it", () => {
  const entries = [
    { id: "code", name: "Replacement lamp with housing EP749-LAMP", vector: [0, 1] },
    ...Array.from({ length: 10 }, (_, i) => ({
      id: `other${i}`,
      name: `Optoma projector lamp for Optoma projectors series ${i}`,
      vector: [1, 0],
    })),
  ];
  const index = CatalogueIndex.build(entries, []);
  const query = index.query("optoma projector lamp ep749lamp", [1, 0]);
  const found = retrieveCandidates(index, query, { perChannel: 2 }).entries;
  assert.ok(found.includes(0), `candidates ${found}`);
  const withoutCode = retrieveCandidates(index, index.query("optoma projector lamp", [1, 0]), {
    perChannel: 2,
  });
  assert.ok(!withoutCode.entries.includes(0), "precondition: the similarity channels alone miss it");
});

test("retrieveCandidates() never returns the document left out, nor its entry through it", () => {
  const index = CatalogueIndex.build([{ id: "a" }, { id: "b", name: "usb cable", vector: [1, 0] }], [
    { entryId: "a", text: "hdmi cable 2m", vector: [0, 1] },
  ]);
  const query = index.query("hdmi cable 2m", [0, 1]);
  const left = retrieveCandidates(index, query, { exclude: 1 });
  assert.deepEqual(left.entries, [1]);
  assert.equal(left.cosines[1], -Infinity);
});
