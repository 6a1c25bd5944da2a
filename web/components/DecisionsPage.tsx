/** The decisions page: the standing decisions, newest first, to change or undo (islands/DecisionList.tsx). */
import { renderToString } from "preact-render-to-string";
import type { DecisionPage, DecisionsQuery } from "../../contract/schemas.ts";
import { Island } from "./Island.tsx";
import { Layout } from "./Layout.tsx";

/** The whole HTML document for GET /decisions with the first `page` of decisions for `query`. */
export function decisionsPage(page: DecisionPage, query: DecisionsQuery): string {
  const scope = [
    query.import_id === undefined ? "" : ` in import ${query.import_id}`,
    query.reviewer === undefined ? "" : ` by ${query.reviewer}`,
  ].join("");
  return `<!DOCTYPE html>${
    renderToString(
      <Layout title="Decisions" active="decisions">
        <h1 class="text-2xl font-semibold mb-4">Decisions{scope}</h1>
        <Island
          name="DecisionList"
          props={{ page, importId: query.import_id ?? null, reviewer: query.reviewer ?? null }}
        />
      </Layout>,
    )
  }`;
}
