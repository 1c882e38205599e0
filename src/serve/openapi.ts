// The OpenAPI 3.1 document of lading serve's API, built from the route table (src/serve/routes.ts) and the
// definitions of schemas/api.schema.json: every route the server has is in it, with its body and query schemas.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { schemasDir } from "../paths.js";
import { openApiPath, type RouteSpec } from "./routes.js";

/** Where the document is served. */
export const OPENAPI_PATH = "/api/openapi.json";

export function openApiDocument(routes: RouteSpec[], version: string): Record<string, unknown> {
  const api = JSON.parse(readFileSync(join(schemasDir, "api.schema.json"), "utf8")) as { $defs: Record<string, unknown> };
  // JSON Schema 2020-12 is OpenAPI 3.1's schema dialect: the definitions carry over, their references re-pointed.
  const components = JSON.parse(JSON.stringify(api.$defs).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as Record<string, unknown>;
  const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
  const paths: Record<string, Record<string, unknown>> = {};
  const all: RouteSpec[] = [
    ...routes,
    { method: "GET", url: OPENAPI_PATH, summary: "this document", responses: { 200: { description: "OpenAPI 3.1" } }, handler: async () => undefined },
  ];
  for (const r of all) {
    const parameters = [
      ...Object.entries(r.params ?? {}).map(([name, schema]) => ({ name, in: "path", required: true, schema })),
      ...(r.query ? Object.entries((api.$defs[r.query] as { properties: Record<string, unknown> }).properties).map(([name, schema]) => ({ name, in: "query", required: false, schema })) : []),
    ];
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${openApiPath(r.url).replace(/^\/api/, "").replace(/[{}]/g, "").replace(/(^|[/-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
      security: [{ bearer: [] }],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, res]) => [
          status,
          { description: res.description, ...(r.stream && status === "200" ? { content: { "text/event-stream": {} } } : { content: { "application/json": res.schema ? { schema: ref(res.schema) } : {} } }) },
        ]),
      ),
    };
    if (r.description) op.description = r.description;
    if (r.changes) op.description = `${r.description ? `${r.description} ` : ""}Changes state: the body must carry confirm: true, and the request is refused (409) while a run is in the way.`;
    if (parameters.length) op.parameters = parameters;
    if (r.body) op.requestBody = { required: true, content: { "application/json": { schema: ref(r.body) } } };
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "lading serve",
      version,
      description: "The deployment, its typed parameters (JSON Schema, resolved value per host and where it was set), validate, parameter edits, plan, applying runs with a live event stream, history, lock status and check: the core the lading CLI runs. Every request needs the bearer token (.lading/serve-token of the deployment, mode 0600, or the --token-file given).",
    },
    servers: [{ url: "/" }],
    components: { schemas: components, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
