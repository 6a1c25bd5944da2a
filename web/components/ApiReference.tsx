/**
 * The readable API page: every operation of the OpenAPI document with its parameters, body and responses,
 * and the named schemas, rendered on the server from the same document /openapi.json serves, so the two
 * cannot disagree. Schemas are shown as nested type lists, with the raw JSON Schema folded underneath.
 */
import type { ComponentChildren } from "preact";
import type { JsonSchema, OpenApiDocument, OpenApiOperation } from "../http/api_document.ts";
import { TableBox } from "./TableBox.tsx";

/** Props of {@link ApiReference}. */
export interface ApiReferenceProps {
  document: OpenApiDocument;
}

// zod writes these bounds for every int(); they say nothing a reader needs.
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf("/") + 1);
}

/** Bounds, formats and defaults, as one short line. */
function constraints(schema: JsonSchema): string {
  const parts: string[] = [];
  const show = (key: string, label: string) => {
    const value = schema[key];
    if (value !== undefined && !SAFE_INTEGER_BOUNDS.has(value as number)) parts.push(`${label} ${value}`);
  };
  show("minimum", "≥");
  show("exclusiveMinimum", ">");
  show("maximum", "≤");
  show("minLength", "length ≥");
  show("maxLength", "length ≤");
  show("maxItems", "items ≤");
  if (schema.format) parts.push(`format ${schema.format}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(", ");
}

function Type({ schema }: { schema: JsonSchema }): ComponentChildren {
  if (typeof schema.$ref === "string") {
    const name = refName(schema.$ref);
    return <a class="text-blue-700 underline" href={`#schema-${name}`}>{name}</a>;
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) {
    return union.map((member, i) => (
      <>
        {i > 0 && " | "}
        <Type schema={member} />
      </>
    ));
  }
  if (schema.type === "array" && schema.items) {
    return (
      <>
        array of <Type schema={schema.items as JsonSchema} />
      </>
    );
  }
  if (schema.type === "object" && schema.additionalProperties && !schema.properties) {
    return (
      <>
        map of string to <Type schema={schema.additionalProperties as JsonSchema} />
      </>
    );
  }
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  return String(schema.type ?? "any");
}

/** A schema as a type with, for objects, the nested list of properties. */
function SchemaView({ schema }: { schema: JsonSchema }) {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  const required = (schema.required ?? []) as string[];
  const rule = constraints(schema);
  return (
    <div>
      <code class="text-emerald-800">
        <Type schema={schema} />
      </code>
      {rule && <span class="text-slate-500 text-xs ml-2">{rule}</span>}
      {typeof schema.description === "string" && (
        <div class="text-slate-600 text-sm">{schema.description}</div>
      )}
      {properties && (
        <ul class="ml-4 mt-1 space-y-1 border-l border-slate-200 pl-3">
          {Object.entries(properties).map(([name, property]) => (
            <li key={name}>
              <code class="font-semibold">{name}</code>
              {!required.includes(name) && <span class="text-slate-500 text-xs ml-1">optional</span>}
              <span class="mx-1">:</span>
              <SchemaView schema={property} />
            </li>
          ))}
        </ul>
      )}
      <details class="mt-1">
        <summary class="text-xs text-slate-500 cursor-pointer">JSON Schema</summary>
        <pre class="text-xs bg-slate-100 p-2 rounded overflow-x-auto">{JSON.stringify(schema, null, 2)}</pre>
      </details>
    </div>
  );
}

function Operation(
  { method, path, operation }: { method: string; path: string; operation: OpenApiOperation },
) {
  return (
    <section id={operation.operationId} class="bg-white border border-slate-200 rounded-lg p-4 mb-4">
      <h3 class="font-mono text-lg">
        <span class="font-semibold uppercase mr-2">{method}</span>
        {path}
      </h3>
      <p class="font-medium">{operation.summary}</p>
      {operation.description && <p class="text-slate-600 text-sm mt-1">{operation.description}</p>}
      {operation.parameters.length > 0 && (
        <TableBox>
          <table class="w-full text-sm mt-3">
            <thead class="text-left text-slate-500">
              <tr>
                <th class="pr-3">Parameter</th>
                <th class="pr-3">In</th>
                <th>Type</th>
              </tr>
            </thead>
            <tbody>
              {operation.parameters.map((parameter) => (
                <tr key={`${parameter.in}-${parameter.name}`} class="border-t border-slate-100 align-top">
                  <td class="pr-3 py-1">
                    <code class="font-semibold">{parameter.name}</code>
                    {parameter.required && <span class="text-red-700 text-xs ml-1">required</span>}
                  </td>
                  <td class="pr-3 py-1">{parameter.in}</td>
                  <td class="py-1">
                    <SchemaView schema={{ ...parameter.schema, description: parameter.description }} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      {operation.requestBody && (
        <div class="mt-3">
          <h4 class="font-semibold text-sm">Request body</h4>
          {Object.entries(operation.requestBody.content).map(([type, { schema }]) => (
            <div key={type} class="mt-1">
              <code class="text-slate-600">{type}</code> <SchemaView schema={schema} />
            </div>
          ))}
        </div>
      )}
      <h4 class="font-semibold text-sm mt-3">Responses</h4>
      <ul class="text-sm space-y-1">
        {Object.entries(operation.responses).map(([status, response]) => (
          <li key={status}>
            <code class="font-semibold">{status}</code> {response.description}
            {Object.entries(response.content ?? {}).map(([type, { schema }]) => (
              <div key={type} class="ml-8">
                <code class="text-slate-600">{type}</code> <SchemaView schema={schema} />
              </div>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Renders the whole API reference. */
export function ApiReference({ document }: ApiReferenceProps) {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation }))
  );
  const tags = [...new Set(operations.map((item) => item.operation.tags[0]))];
  return (
    <div>
      <h1 class="text-2xl font-semibold mb-2">{document.info.title}</h1>
      <p class="text-slate-600 mb-2">{document.info.description}</p>
      <p class="mb-6 text-sm">
        Machine-readable: <a class="text-blue-700 underline" href="/openapi.json">/openapi.json</a> (OpenAPI
        {" "}
        {document.openapi}).
      </p>
      {tags.map((tag) => (
        <div key={tag}>
          <h2 class="text-xl font-semibold mt-6 mb-3">{tag}</h2>
          {operations.filter((item) => item.operation.tags[0] === tag).map((item) => (
            <Operation key={`${item.method} ${item.path}`} {...item} />
          ))}
        </div>
      ))}
      <h2 class="text-xl font-semibold mt-6 mb-3">Schemas</h2>
      {Object.entries(document.components.schemas).map(([name, schema]) => (
        <section
          key={name}
          id={`schema-${name}`}
          class="bg-white border border-slate-200 rounded-lg p-4 mb-4"
        >
          <h3 class="font-mono text-lg mb-1">{name}</h3>
          <SchemaView schema={schema} />
        </section>
      ))}
    </div>
  );
}
