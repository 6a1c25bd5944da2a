/** Every island by name: the server renders them, the client bundle hydrates them. */
import { AutoAcceptPanel } from "./AutoAcceptPanel.tsx";
import { AutoRetrainPanel } from "./AutoRetrainPanel.tsx";
import { CatalogueReview } from "./CatalogueReview.tsx";
import { DecisionList } from "./DecisionList.tsx";
import { EntryList } from "./EntryList.tsx";
import { ExportButton } from "./ExportButton.tsx";
import { FieldsPanel } from "./FieldsPanel.tsx";
import { ImportList } from "./ImportList.tsx";
import { ModelsPanel } from "./ModelsPanel.tsx";
import { ReviewQueue } from "./ReviewQueue.tsx";
import { TaxonomyForm } from "./TaxonomyForm.tsx";
import { UploadForm } from "./UploadForm.tsx";
import { WorkerList } from "./WorkerList.tsx";

/** Island components by the name used in `data-island`. */
export const ISLANDS = {
  AutoAcceptPanel,
  AutoRetrainPanel,
  CatalogueReview,
  DecisionList,
  EntryList,
  ExportButton,
  FieldsPanel,
  ImportList,
  ModelsPanel,
  ReviewQueue,
  TaxonomyForm,
  UploadForm,
  WorkerList,
};

/** The name of an island. */
export type IslandName = keyof typeof ISLANDS;
