/**
 * The contract's zod schemas as the OpenAPI document shows them, through zod's own `z.toJSONSchema()`:
 * response schemas that are contract exports (or contain one, as an array of ImportProgress does) refer to
 * a named component; parts a handler reads itself (a streamed upload, a form answered with a page) are
 * described as their input side, what a client sends before coercion and defaults. Request parts that
 * @hono/zod-openapi validates are described by its own generator, from the same schemas.
 */
import { z } from "zod";
import * as contract from "../../contract/schemas.ts";

/** A JSON Schema object as zod writes it. */
export type JsonSchema = Record<string, unknown>;

/** One parameter of an OpenAPI operation. */
export interface OpenApiParameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: JsonSchema;
  style?: "form";
  explode?: boolean;
}

const ref = (id: string) => `#/components/schemas/${id}`;

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Every contract schema as a candidate component, by export name; built once, on first use. */
let contractSchemas: {
  registry: z.core.$ZodRegistry<{ id: string }>;
  components: Record<string, JsonSchema>;
};
function contractComponents() {
  if (contractSchemas) return contractSchemas;
  const registry = z.registry<{ id: string }>();
  for (const [name, value] of Object.entries(contract)) {
    if (value instanceof z.ZodType) registry.add(value, { id: name });
  }
  const converted = z.toJSONSchema(registry, { uri: ref, unrepresentable: "any" }) as {
    schemas: Record<string, JsonSchema>;
  };
  contractSchemas = { registry, components: converted.schemas };
  return contractSchemas;
}

/** A response body's schema: a reference for a contract export, else inline with references inside. */
export function responseSchema(schema: z.ZodType): JsonSchema {
  const { registry } = contractComponents();
  const id = registry.get(schema)?.id;
  if (id) return { $ref: ref(id) };
  const json = z.toJSONSchema(schema, { metadata: registry, unrepresentable: "any" }) as JsonSchema;
  const { $defs: _defs, ...rest } = strip(json);
  // Registered schemas nested inside come back as local $defs; point them at the shared components.
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', `"${ref("")}`));
}

/** What a client sends for `schema` (before coercion and defaults). */
export function inputSchema(schema: z.ZodType): JsonSchema {
  return strip(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema);
}

/** The parameters of a path or query schema that its handler reads itself. */
export function describedParameters(where: "path" | "query", schema: z.ZodObject): OpenApiParameter[] {
  const json = inputSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as JsonSchema & { description?: string };
    return {
      name,
      in: where,
      required: where === "path" || (json.required ?? []).includes(name),
      ...(description ? { description: description as string } : {}),
      // An object in the query string is one text value, its format in the description (JSON, pairs):
      // not OpenAPI's default of one query parameter per property.
      schema: rest.type === "object" ? { type: "string" } : rest,
      // An array in the query string is one comma-separated value: OpenAPI's form style, not exploded.
      ...(rest.type === "array" ? { style: "form" as const, explode: false } : {}),
    };
  });
}

/** The contract components that `document` refers to, directly or through other components. */
export function referencedComponents(document: unknown): Record<string, JsonSchema> {
  const all = contractComponents().components;
  const found: Record<string, JsonSchema> = {};
  const visit = (node: unknown) => {
    for (const [, id] of JSON.stringify(node).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (found[id] || !all[id]) continue;
      found[id] = strip(all[id]);
      visit(found[id]);
    }
  };
  visit(document);
  return Object.fromEntries(Object.keys(all).filter((id) => found[id]).map((id) => [id, found[id]]));
}
