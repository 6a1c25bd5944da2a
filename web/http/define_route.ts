/**
 * One declaration per route: method, path, who may call it, its audit kind, the zod schemas of its
 * inputs, its responses and its description, in one object made by {@link defineRoute} and registered with
 * `router.openapi(route, handler)` (@hono/zod-openapi). From it come the request validation (before the
 * handler runs; a failure is the API's one error shape, 422 "Invalid <input>: <field>: <message>"), the
 * OpenAPI document (GET /openapi.json, the /api page) and the access policy and audit kind that the secure
 * app enforces (kept in the document as the extensions `x-access` and `x-audit`; web/http/route_policy.ts).
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../../contract/schemas.ts";
import { invalidInput } from "../../core/parse_input.ts";
import type { AppEnv } from "./app_env.ts";
import { describedParameters, inputSchema, type JsonSchema, responseSchema } from "./api_schemas.ts";
import { readJsonBody } from "./json_body.ts";
import type { Access } from "./route_policy.ts";

/** HTTP methods a route may use. */
export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** Inputs that @hono/zod-openapi validates before the handler runs. */
export interface ValidatedInputs {
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { content: { "application/json": { schema: z.ZodType } }; required: boolean };
}

/** What refusals call each validated input: "Invalid export query: rows: …" (defaults: path, query, body). */
export interface InputNames {
  param?: string;
  query?: string;
  json?: string;
}

/** Everything said about one route; see {@link defineRoute}. */
export interface RouteDeclaration<M extends HttpMethod, P extends string, R extends ValidatedInputs> {
  method: M;
  /** The path as OpenAPI writes it, relative to the router: `/imports/{id}`. */
  path: P;
  access: Access;
  /** Audit kind of the route's successful calls (state-changing routes are audited without one too). */
  audit?: string;
  /** Group on the API page: "API" for JSON routes, "Pages" for HTML, "Files" for assets. */
  tag: "API" | "Pages" | "Files";
  summary: string;
  description?: string;
  /** Inputs validated before the handler runs; use {@link jsonBody} for a JSON body. */
  request?: R;
  names?: InputNames;
  /**
   * Inputs the handler reads and checks itself, described in the document but not read before it runs:
   * a streamed upload, a form answered with a page, an id whose refusal is a 404.
   */
  described?: { params?: z.ZodObject; query?: z.ZodObject; body?: Record<string, z.ZodType> };
  /** Successful (and other non-error) responses by status. */
  responses: Record<number, { description: string; content?: Record<string, z.ZodType> }>;
  /** Statuses answered with the API's one error shape; 500 is always added. */
  errors?: number[];
  /** Middleware of this route alone (a body limit of its own), run before its inputs are read. */
  middleware?: MiddlewareHandler<AppEnv>[];
}

/** A declared route, ready for `router.openapi(route, handler)`. */
export type DeclaredRoute<M extends HttpMethod, P extends string, R extends ValidatedInputs> =
  & Omit<RouteConfig, "method" | "path" | "request" | "responses">
  & {
    method: M;
    path: P;
    request: R;
    responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
    middleware: MiddlewareHandler<AppEnv>[];
    "x-access": Access;
    "x-audit"?: string;
  };

const ERROR_TEXT: Record<number, string> = {
  400: "Bad request",
  401: "Not signed in",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Body too large",
  415: "Unsupported media type",
  422: "Invalid input",
  429: "Too many attempts",
  500: "Internal server error",
  503: "Unavailable",
};

const DEFAULT_NAMES: Record<string, string> = { param: "path", query: "query", json: "body", form: "form" };

/** A required JSON body of `schema`; `optional`: an empty body reads as `{}`. */
export function jsonBody<S extends z.ZodType>(schema: S, options: { optional?: boolean } = {}) {
  return { content: { "application/json": { schema } }, required: !options.optional };
}

/**
 * A query schema read as `c.req.query()` reads it: the first value of a repeated name, as the handlers
 * always did (@hono/zod-openapi would pass an array).
 */
function firstValues(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, Array.isArray(item) ? item[0] : item]),
  );
}

function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return [method, ...words].map((word, i) => i === 0 ? word : word[0].toUpperCase() + word.slice(1))
    .join("") || method;
}

function content(schemas: Record<string, z.ZodType>, convert: (schema: z.ZodType) => JsonSchema) {
  return Object.fromEntries(
    Object.entries(schemas).map(([type, schema]) => [type, { schema: convert(schema) }]),
  );
}

/** Builds the route object of `declaration` (see the module's description). */
export function defineRoute<
  M extends HttpMethod,
  P extends string,
  R extends ValidatedInputs = Record<never, never>,
>(
  declaration: RouteDeclaration<M, P, R>,
): DeclaredRoute<M, P, R> {
  const { method, path, request, names = {}, described = {}, errors = [] } = declaration;
  const responses: DeclaredRoute<M, P, R>["responses"] = {};
  for (const [status, response] of Object.entries(declaration.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.content ? { content: content(response.content, responseSchema) } : {}),
    };
  }
  for (const status of [...errors, 500]) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? "Error",
      content: { "application/json": { schema: responseSchema(ApiError) } },
    };
  }
  const json = request?.body;
  // Runs before the validators: names the inputs for refusals, and reads a JSON body as the API always
  // has (415 for another type, 400 for malformed JSON, with these messages) before it is validated.
  const params = request?.query ? request.params : undefined;
  const declared: MiddlewareHandler<AppEnv> = async function declaredRoute(c, next) {
    c.set("inputNames", names);
    // The path before the query, as the handlers always checked them (@hono/zod-openapi checks the query
    // first): a wrong id is named before a wrong filter.
    const path = params?.safeParse(c.req.param());
    if (path && !path.success) throw invalidInput(path.error, names.param ?? DEFAULT_NAMES.param);
    if (json) await readJsonBody(c as unknown as Context, { optional: !json.required });
    await next();
  };
  const query = request?.query;
  return {
    method,
    path,
    request: {
      ...request,
      ...(query ? { query: z.preprocess(firstValues, query) } : {}),
    } as unknown as R,
    tags: [declaration.tag],
    summary: declaration.summary,
    ...(declaration.description ? { description: declaration.description } : {}),
    operationId: operationId(method, path),
    // Always a list (the API page reads it): @hono/zod-openapi adds the validated inputs' parameters.
    parameters: [
      ...(described.params ? describedParameters("path", described.params) : []),
      ...(described.query ? describedParameters("query", described.query) : []),
    ] as RouteConfig["parameters"],
    ...(described.body
      ? { requestBody: { required: true, content: content(described.body, inputSchema) } as never }
      : {}),
    responses,
    middleware: [...(declaration.middleware ?? []), declared],
    "x-access": declaration.access,
    ...(declaration.audit ? { "x-audit": declaration.audit } : {}),
  };
}

/**
 * Records `route` in the document and the policy without registering a handler: for a route that
 * Hono's own path syntax must register (the static files' `/*`, which an OpenAPI path cannot say).
 */
export function describeRoute(
  router: OpenAPIHono<AppEnv>,
  route: DeclaredRoute<HttpMethod, string, Record<never, never>>,
): void {
  const { middleware: _middleware, ...described } = route;
  router.openAPIRegistry.registerPath(described as unknown as RouteConfig);
}

/** A router whose declared routes refuse invalid input with the API's one error shape. */
export function declaredRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const names = (c as Context<AppEnv>).get("inputNames") as
        | Record<string, string | undefined>
        | undefined;
      throw invalidInput(result.error, names?.[result.target] ?? DEFAULT_NAMES[result.target]);
    },
  });
}
