/**
 * The OpenAPI 3.1 document, built from route descriptions that each route module exports beside its
 * routes (`apiDocs`, `exportDocs`, …) and from the contract's zod schemas through zod's own
 * `z.toJSONSchema()`. Response schemas that are contract exports become named components; request
 * schemas are described as their input side (what a client sends, before coercion and defaults).
 */
import { z } from "zod";
import * as contract from "../../contract/schemas.ts";

/** HTTP methods a route description may use. */
export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** A route module's description of one route; {@link buildOpenApiDocument} turns a list into a document. */
export interface RouteDoc {
  method: HttpMethod;
  /** The path exactly as registered with Hono: `/imports/:id`, `/static/*`. */
  path: string;
  /** Group on the API page: "API" for JSON routes, "Pages" for HTML, "Files" for downloads and assets. */
  tag: string;
  summary: string;
  description?: string;
  /** Path parameters; a `*` wildcard is the parameter `path`. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request body schemas by media type. */
  body?: Record<string, z.ZodType>;
  /** Successful (and other non-error) responses by status. */
  responses: Record<number, { description: string; content?: Record<string, z.ZodType> }>;
  /** Statuses answered with the API's one error shape; 500 is always added. */
  errors?: number[];
}

/** The parts of an OpenAPI document this app writes (and the API page reads). */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** A JSON Schema object as zod writes it. */
export type JsonSchema = Record<string, unknown>;

/** One operation of an OpenAPI document. */
export interface OpenApiOperation {
  tags: string[];
  summary: string;
  description?: string;
  operationId: string;
  parameters: {
    name: string;
    in: "path" | "query";
    required: boolean;
    description?: string;
    schema: JsonSchema;
    style?: "form";
    explode?: boolean;
  }[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

const ERROR_TEXT: Record<number, string> = {
  400: "Bad request",
  404: "Not found",
  413: "Body too large",
  415: "Unsupported media type",
  422: "Invalid input",
  500: "Internal server error",
};

/** Converts a Hono path to an OpenAPI one: `/imports/:id` → `/imports/{id}`, `*` → `{path}`. */
export function toOpenApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}").replace(/\*/g, "{path}");
}

function operationId(doc: RouteDoc): string {
  const words = doc.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return [doc.method, ...words].map((word, i) => i === 0 ? word : word[0].toUpperCase() + word.slice(1))
    .join("") || doc.method;
}

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** The contract's zod schemas by export name: the candidates for named components. */
function contractNames(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>();
  for (const [name, value] of Object.entries(contract)) {
    if (value instanceof z.ZodType) names.set(value, name);
  }
  return names;
}

/** The components that `paths` refer to, directly or through other components. */
function reachable(paths: unknown, all: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const found: Record<string, JsonSchema> = {};
  const visit = (node: unknown) => {
    for (const [, id] of JSON.stringify(node).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (found[id] || !all[id]) continue;
      found[id] = strip(all[id]);
      visit(found[id]);
    }
  };
  visit(paths);
  return Object.fromEntries(Object.keys(all).filter((id) => found[id]).map((id) => [id, found[id]]));
}

/** Builds the OpenAPI document for `docs`; throws when two describe the same route or a parameter is missing. */
export function buildOpenApiDocument(
  docs: RouteDoc[],
  info: { title: string; version: string; description: string },
): OpenApiDocument {
  // Every contract schema is a candidate component, referenced wherever a response uses it (even nested,
  // as in an array of ImportProgress); only the ones some route reaches are kept at the end.
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of contractNames()) registry.add(schema, { id });
  const ref = (id: string) => `#/components/schemas/${id}`;
  const converted = z.toJSONSchema(registry, { uri: ref, unrepresentable: "any" }) as {
    schemas: Record<string, JsonSchema>;
  };
  const output = (schema: z.ZodType): JsonSchema => {
    const id = registry.get(schema)?.id;
    if (id) return { $ref: ref(id) };
    const json = z.toJSONSchema(schema, { metadata: registry, unrepresentable: "any" }) as JsonSchema;
    const { $defs: _defs, ...rest } = strip(json);
    // Registered schemas nested inside come back as local $defs; point them at the shared components.
    return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', `"${ref("")}`));
  };
  const input = (schema: z.ZodType): JsonSchema =>
    strip(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema);

  const paths: OpenApiDocument["paths"] = {};
  for (const doc of docs) {
    const path = toOpenApiPath(doc.path);
    paths[path] ??= {};
    if (paths[path][doc.method]) throw new Error(`Cannot describe ${doc.method} ${path} twice`);
    const parameters: OpenApiOperation["parameters"] = [];
    for (const [where, schema] of [["path", doc.params], ["query", doc.query]] as const) {
      if (!schema) continue;
      const json = input(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        const { description, ...rest } = property as JsonSchema & { description?: string };
        parameters.push({
          name,
          in: where,
          required: where === "path" || (json.required ?? []).includes(name),
          ...(description ? { description } : {}),
          schema: rest,
          // An array in the query string is one comma-separated value: OpenAPI's form style, not exploded.
          ...(rest.type === "array" ? { style: "form" as const, explode: false } : {}),
        });
      }
    }
    for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
      if (!parameters.some((p) => p.in === "path" && p.name === name)) {
        throw new Error(`Cannot describe ${doc.method} ${path}: path parameter "${name}" has no schema`);
      }
    }
    const responses: OpenApiOperation["responses"] = {};
    for (const [status, response] of Object.entries(doc.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.content
          ? {
            content: Object.fromEntries(
              Object.entries(response.content).map(([type, schema]) => [type, { schema: output(schema) }]),
            ),
          }
          : {}),
      };
    }
    for (const status of [...(doc.errors ?? []), 500]) {
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? "Error",
        content: { "application/json": { schema: { $ref: ref("ApiError") } } },
      };
    }
    paths[path][doc.method] = {
      tags: [doc.tag],
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      operationId: operationId(doc),
      parameters,
      ...(doc.body
        ? {
          requestBody: {
            required: true as const,
            content: Object.fromEntries(
              Object.entries(doc.body).map(([type, schema]) => [type, { schema: input(schema) }]),
            ),
          },
        }
        : {}),
      responses,
    };
  }
  return { openapi: "3.1.0", info, paths, components: { schemas: reachable(paths, converted.schemas) } };
}

/**
 * Routes of a Hono app (`app.routes`) that `document` does not describe, as "METHOD /path". Entries with
 * method ALL are middleware (`app.use`) and are skipped.
 */
export function undocumentedRoutes(
  routes: readonly { method: string; path: string }[],
  document: OpenApiDocument,
): string[] {
  const missing = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL") continue;
    if (!document.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()]) {
      missing.add(`${route.method} ${route.path}`);
    }
  }
  return [...missing];
}
