/** Every island by name: the server renders them, the client bundle hydrates them. */
import { ImportList } from "./ImportList.tsx";
import { ReviewQueue } from "./ReviewQueue.tsx";
import { UploadForm } from "./UploadForm.tsx";

/** Island components by the name used in `data-island`. */
export const ISLANDS = { ImportList, ReviewQueue, UploadForm };

/** The name of an island. */
export type IslandName = keyof typeof ISLANDS;
