/**
 * The fields' pages: GET /fields for a browser (the fields with their counts, and for ops the forms that
 * add a catalogue field and upload its reference list), GET /fields/:field/entries for a browser (a
 * catalogue field's entries, searched and paged; ops retire them) and GET /review/:field, a catalogue
 * field's review queue worked one card at a time from the keyboard. The JSON they call is
 * web/routes/fields.ts'.
 */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { renderToString } from "preact-render-to-string";
import type { VNode } from "preact";
import { ApiError, CatalogueReviewQuery, FieldParam } from "../../contract/schemas.ts";
import { listFields } from "../../core/fields/fields.ts";
import { listEntries } from "../../core/catalogue/entry_list.ts";
import { sql } from "../../core/db/sql.ts";
import { Island } from "../components/Island.tsx";
import { Layout } from "../components/Layout.tsx";
import { ApiProblem } from "../http/api_error.ts";
import { wantsHtml } from "../http/content_negotiation.ts";
import { page as htmlPage } from "../http/html_page.ts";
import { currentUser } from "../http/current_user.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

const catalogueReviewPage = defineRoute({
  method: "get",
  path: "/review/{field}",
  access: "reviewer",
  tag: "Pages",
  summary: "A catalogue field's review queue, one card at a time",
  // An unknown or label field is read by the handler: a browser is sent on or shown a page, JSON gets 404.
  described: { params: FieldParam },
  responses: {
    200: { description: "An HTML page", content: { "text/html": z.string() } },
    302: { description: "A label field (category), for a browser: to /review, its review queue" },
    404: {
      description: "No catalogue field of that name: a page saying so for a browser, else the error",
      content: { "text/html": z.string(), "application/json": ApiError },
    },
  },
});

function page(node: VNode): string {
  return `<!DOCTYPE html>${renderToString(node)}`;
}

/** Entries per page of the entries page. */
const ENTRY_PAGE_SIZE = 50;

/**
 * The page of a /review/<field> or /fields/<field>/entries address that names no field: what happened
 * and where to go. `has`: what the field would have had ("nothing to review").
 */
function NoSuchField(
  { name, has = "nothing to review", active = "review" }: {
    name: string;
    has?: string;
    active?: "review" | "fields";
  },
) {
  return (
    <Layout title="No such field" active={active}>
      <h1 class="text-2xl font-semibold mb-2">No such field</h1>
      <p class="text-sm text-slate-700 mb-4 max-w-3xl" data-testid="no-such-field">
        The field <code>{name}</code> does not exist, so it has{" "}
        {has}. The fields that do are listed on the fields page.
      </p>
      <p class="text-sm">
        <a class="text-blue-700 underline" href="/fields" data-testid="fields-link">All fields</a>
        {" · "}
        <a class="text-blue-700 underline" href="/review">Review categories</a>
      </p>
    </Layout>
  );
}

/** Builds the fields' page routes; mount them before web/routes/fields.ts' (GET /fields falls through to it). */
export function fieldPageRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const pages = declaredRouter();

  // One path, two readers (as GET /workers): a browser gets the page here, anyone else falls through to
  // the JSON of GET /fields, whose declaration (access included) covers both.
  pages.get("/fields", async (c, next) => {
    c.header("Vary", "Accept");
    if (!wantsHtml(c.req.header("accept"))) return await next();
    const fields = await listFields(deps.db);
    return c.html(page(
      <Layout title="Fields" active="fields">
        <h1 class="text-2xl font-semibold mb-2">Fields</h1>
        <p class="text-sm text-slate-600 mb-4 max-w-3xl">
          The values each product gets. <code>category</code>{" "}
          is a label the classifier suggests; a catalogue field matches each row to an entry of a canonical
          list, which the workers suggest and reviewers confirm. The export has a column per field.
        </p>
        <Island name="FieldsPanel" props={{ fields, canEdit: (currentUser()?.role ?? "ops") === "ops" }} />
      </Layout>,
    ));
  });

  // As GET /fields: a browser gets the page, anyone else falls through to the JSON of the entries.
  pages.get("/fields/:field/entries", async (c, next) => {
    c.header("Vary", "Accept");
    if (!wantsHtml(c.req.header("accept"))) return await next();
    const name = c.req.param("field");
    const parsed = FieldParam.safeParse({ field: name });
    const field = parsed.success
      ? (await listFields(deps.db)).find((item) => item.name === parsed.data.field)
      : undefined;
    if (!field || field.kind !== "catalogue") {
      const has = field ? "no list of entries (it is the label field)" : "no entries";
      return htmlPage(c, <NoSuchField name={name} has={has} active="fields" />, 404);
    }
    const first = await listEntries(deps.db, field, { limit: ENTRY_PAGE_SIZE });
    const canRetire = (currentUser()?.role ?? "ops") === "ops";
    return c.html(page(
      <Layout title={`Entries of ${field.name}`} active="fields">
        <div class="flex flex-wrap items-baseline justify-between gap-2 mb-2">
          <h1 class="text-2xl font-semibold">Entries of {field.name}</h1>
          <p class="text-sm space-x-3">
            <a class="text-blue-700 underline" href={`/review/${encodeURIComponent(field.name)}`}>
              Review {field.name}
            </a>
            <a class="text-blue-700 underline" href="/fields">All fields</a>
          </p>
        </div>
        <p class="text-sm text-slate-600 mb-4 max-w-3xl">
          The canonical list the rows of <code>{field.name}</code>{" "}
          are matched to: from its reference list, its seed column and the names reviewers add.
          {canRetire &&
            " Retire an entry added by mistake: it is no longer suggested. An entry rows are decided to cannot be retired until those decisions change."}
        </p>
        <Island
          name="EntryList"
          props={{
            field: field.name,
            entries: first.entries,
            nextAfter: first.next_after,
            pageSize: ENTRY_PAGE_SIZE,
            canRetire,
          }}
        />
      </Layout>,
    ));
  });

  pages.openapi(catalogueReviewPage, async (c) => {
    const parsed = FieldParam.safeParse(c.req.param());
    const field = parsed.success
      ? (await listFields(deps.db)).find((item) => item.name === parsed.data.field)
      : undefined;
    if (!field || field.kind !== "catalogue") {
      c.header("Vary", "Accept");
      if (!wantsHtml(c.req.header("accept"))) {
        throw new ApiProblem(404, `No catalogue field "${c.req.param("field")}"`);
      }
      // A browser: a label field's queue is the review page; anything else is a page saying so.
      if (field) return c.redirect("/review", 302);
      return htmlPage(c, <NoSuchField name={c.req.param("field")} />, 404);
    }
    // A filter the page keeps (a link from an import): an id that is not one shows the whole queue.
    const importId = CatalogueReviewQuery.shape.import_id.safeParse(c.req.query("import_id")).data;
    // Whether the workers still owe the field a match (rows, entries or decisions since the last one).
    const [state] = await deps.db.query<{ matching: boolean }>(sql`
      SELECT match_requested_at IS NOT NULL AND (matched_at IS NULL OR matched_at < match_requested_at)
        AS matching
      FROM fields WHERE id = ${field.id}`);
    return c.html(page(
      <Layout title={`Review ${field.name}`} active="review">
        <div class="flex flex-wrap items-baseline justify-between gap-2 mb-4">
          <h1 class="text-2xl font-semibold">Review {field.name}</h1>
          <p class="text-sm space-x-3">
            <a
              class="text-blue-700 underline"
              href={`/fields/${encodeURIComponent(field.name)}/entries`}
              data-testid="entries-link"
            >
              Entries of {field.name}
            </a>
            {importId !== undefined && (
              <span data-testid="import-filter">
                Rows of import {importId} only ·{" "}
                <a class="text-blue-700 underline" href={`/review/${encodeURIComponent(field.name)}`}>
                  all rows
                </a>
              </span>
            )}
            <a class="text-blue-700 underline" href="/fields">All fields</a>
          </p>
        </div>
        <Island
          name="CatalogueReview"
          props={{ field, matching: state?.matching ?? false, pageSize: 20, importId: importId ?? null }}
        />
      </Layout>,
    ));
  });

  return pages;
}
