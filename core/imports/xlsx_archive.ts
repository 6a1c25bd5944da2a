/**
 * The parts of an .xlsx workbook (a zip archive of XML files, ECMA-376 Part 2, Open Packaging
 * Conventions) that a sheet is read from, unpacked with fflate under limits: a workbook is a zip, and a
 * zip can hold a "bomb" (a few kilobytes that inflate to gigabytes, or entries that claim a small size and
 * inflate to more). The archive is walked once in order (local headers, fflate's streaming Unzip), in
 * small slices, and every byte inflated is counted against `maxUnpackedBytes` as it comes out: inflating
 * stops at the limit, whatever the entries claim. Parts that are not read (images, printer settings,
 * other XML) are skipped without inflating them.
 *
 * Errors: {@link ImportError} "too_large" (413) past a limit, "unsupported" (415) for a zip that is not a
 * workbook or a part in an unknown compression, "invalid" (422) for a damaged archive. Each message
 * names the file and, where there is one, the part.
 */
import { Unzip, UnzipInflate } from "fflate";
import { ImportError } from "./import_error.ts";

/** Limits of one workbook. */
export interface ArchiveLimits {
  /** Bytes inflated over all parts read. */
  maxUnpackedBytes: number;
  /** Entries in the archive (read or skipped). */
  maxEntries: number;
}

/** Parts kept: the workbook, its relationships, shared strings, styles and the worksheets. */
const WANTED =
  /^xl\/(?:workbook\.xml|_rels\/workbook\.xml\.rels|sharedStrings\.xml|styles\.xml|worksheets\/[^/]+\.xml)$/i;

/** Archive bytes handed to the inflater at a time: bounds what one step can inflate (~1,000×). */
const SLICE = 16 * 1024;

/**
 * Unpacks the parts a sheet is read from; keys are part names in lower case (`xl/workbook.xml`,
 * `xl/worksheets/sheet1.xml`). Throws {@link ImportError} (see the module comment).
 */
export function unpackWorkbook(
  archive: Uint8Array,
  fileName: string,
  limits: ArchiveLimits,
): Map<string, Uint8Array> {
  const parts = new Map<string, Uint8Array[]>();
  let unpacked = 0;
  let entries = 0;
  let failure: ImportError | undefined;
  /** Parts begun whose last bytes have not come out yet: an archive cut short leaves some. */
  const unfinished = new Set<string>();
  const unzip = new Unzip((file) => {
    entries++;
    if (entries > limits.maxEntries) {
      failure ??= new ImportError(
        "too_large",
        `Cannot import "${fileName}": the workbook holds more than ${limits.maxEntries} files`,
      );
      return;
    }
    const name = file.name.replace(/\\/g, "/").toLowerCase();
    if (!WANTED.test(name) || failure) return;
    if (file.compression !== 0 && file.compression !== 8) {
      failure = new ImportError(
        "unsupported",
        `Cannot import "${fileName}": its part "${file.name}" uses compression method ${file.compression}; ` +
          `save the workbook again in Excel or as CSV (UTF-8)`,
      );
      return;
    }
    const chunks: Uint8Array[] = [];
    parts.set(name, chunks);
    unfinished.add(file.name);
    file.ondata = (error, data, final) => {
      if (failure) return;
      if (error) {
        failure = damaged(fileName, `its part "${file.name}" cannot be inflated (${error.message})`);
        return;
      }
      unpacked += data.length;
      if (unpacked > limits.maxUnpackedBytes) {
        failure = new ImportError(
          "too_large",
          `Cannot import "${fileName}": the workbook unpacks to more than ${
            mebibytes(limits.maxUnpackedBytes)
          } ` +
            `(at its part "${file.name}"); it may be a zip bomb. Save the sheet as CSV (UTF-8) instead`,
        );
        file.terminate();
        return;
      }
      chunks.push(data);
      if (final) unfinished.delete(file.name);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let start = 0; start < archive.length && !failure; start += SLICE) {
      const end = Math.min(start + SLICE, archive.length);
      unzip.push(archive.subarray(start, end), end === archive.length);
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    failure ??= damaged(fileName, (error as Error).message);
  }
  if (failure) throw failure;
  if (unfinished.size > 0) throw damaged(fileName, `its part "${[...unfinished][0]}" is cut short`);
  if (!parts.has("xl/workbook.xml")) {
    throw new ImportError(
      "unsupported",
      `Cannot import "${fileName}": it is a zip archive but not an Excel workbook (.xlsx): it has no ` +
        `xl/workbook.xml. Upload the .xlsx or CSV file itself`,
    );
  }
  return new Map([...parts].map(([name, chunks]) => [name, concat(chunks)]));
}

function damaged(fileName: string, why: string): ImportError {
  return new ImportError(
    "invalid",
    `Cannot import "${fileName}": the workbook is damaged: ${why}. Open and save it again in Excel, or save ` +
      `it as CSV (UTF-8)`,
  );
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const whole = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  return whole;
}
