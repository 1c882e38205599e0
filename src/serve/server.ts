// lading serve's HTTP server (fastify): the API of src/serve/routes.ts under /api, its OpenAPI document, a run's
// event stream (Server-Sent Events), and the web console's files. Every /api request needs the bearer token;
// bodies and query strings are checked against schemas/api.schema.json by lading's own Ajv before a route runs
// (a bad one: 400 with the path, nothing done); every JSON answer and event passes the deployment's redactor; no
// CORS header is ever sent. The server prints nothing: the CLI gets its log lines.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { ErrorObject, ValidateFunction } from "ajv";
import { HostError, InputError, type Problem } from "../errors.js";
import { packageRoot } from "../paths.js";
import { createAjv, simplifyErrors } from "../model/schema-check.js";
import { ConflictError, DeploymentService, RequestError, UnreachableError, withText, type ServeDeploymentOptions, type ServeDeps } from "./deployment-service.js";
import { openApiDocument, OPENAPI_PATH } from "./openapi.js";
import { apiRef, ROUTES } from "./routes.js";
import { bearerMatches } from "./token.js";

export interface ServerOptions {
  deployment: ServeDeploymentOptions;
  token: string;
  deps?: ServeDeps;
  /** Lines for the operator (internal errors); the CLI prints them. */
  log?: (line: string) => void;
  version?: string;
}

/** The largest request body taken (a parameter's value is small). */
const BODY_LIMIT = 1024 * 1024;

/** The console's files: the page and its style from src/console, its scripts compiled into dist/web/console. */
const CONSOLE_SOURCE = join(packageRoot, "src", "console");
const CONSOLE_SCRIPTS = join(packageRoot, "dist", "web", "console");

// The console loads only its own files and talks only to this server.
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function createServer(opts: ServerOptions): Promise<{ app: FastifyInstance; service: DeploymentService }> {
  const service = new DeploymentService(opts.deployment, opts.deps);
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, return503OnClosing: true, forceCloseConnections: true });
  // JSON bodies only: a text/plain body is what a form of another site can send without a preflight.
  app.removeContentTypeParser("text/plain");
  const ajv = createAjv();
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema as object) as ValidateFunction);

  const files = consoleFiles();
  app.addHook("onRequest", async (req, reply) => {
    // By the route the router matched (not the raw URL, which may be encoded): only the console's own files are
    // open; every other request, an unknown path included, needs the token.
    if (req.method === "GET" && files.has(req.routeOptions.url ?? "")) return;
    if (!bearerMatches(req.headers.authorization, opts.token)) {
      reply.header("www-authenticate", 'Bearer realm="lading"');
      return reply.code(401).send({ error: "a bearer token is needed: the server's token is in .lading/serve-token of the deployment (or the --token-file given)" });
    }
  });

  app.addHook("onSend", async (req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cache-control", "no-store");
    if (String(reply.getHeader("content-type") ?? "").startsWith("text/html")) reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    // The last line of redaction: whatever a route returns, no secret of the deployment leaves the server.
    if (typeof payload === "string" && String(reply.getHeader("content-type") ?? "").includes("json")) return (await service.redactor()).redact(payload);
    return payload;
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => sendError(err, reply, opts.log));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: "not found" }));

  for (const r of ROUTES) {
    if (r.stream) continue;
    const schema: Record<string, unknown> = {};
    if (r.body) schema.body = apiRef(r.body);
    if (r.query) schema.querystring = apiRef(r.query);
    if (r.params) schema.params = { type: "object", additionalProperties: false, required: Object.keys(r.params), properties: r.params };
    app.route({ method: r.method, url: r.url, schema, handler: (req, reply) => r.handler(service, req, reply) });
  }
  const stream = ROUTES.find((r) => r.stream)!;
  app.get(stream.url, { schema: { params: { type: "object", additionalProperties: false, required: Object.keys(stream.params!), properties: stream.params } } }, (req, reply) => streamEvents(service, req, reply));

  const document = openApiDocument(ROUTES, opts.version ?? "0.1.0");
  app.get(OPENAPI_PATH, async () => document);

  for (const [url, file] of files) {
    app.get(url, async (_req, reply) => reply.type(contentTypeOf(file)).send(readFileSync(file)));
  }
  return { app, service };
}

/** The console's files by URL: `/` is its page. */
function consoleFiles(): Map<string, string> {
  const out = new Map<string, string>([["/", join(CONSOLE_SOURCE, "index.html")]]);
  if (existsSync(join(CONSOLE_SOURCE, "style.css"))) out.set("/console/style.css", join(CONSOLE_SOURCE, "style.css"));
  if (existsSync(CONSOLE_SCRIPTS)) for (const f of readdirSync(CONSOLE_SCRIPTS).filter((x) => x.endsWith(".js"))) out.set(`/console/${f}`, join(CONSOLE_SCRIPTS, f));
  return out;
}

function contentTypeOf(file: string): string {
  if (file.endsWith(".html")) return "text/html; charset=utf-8";
  if (file.endsWith(".css")) return "text/css; charset=utf-8";
  return "text/javascript; charset=utf-8";
}

/** Every event of the run so far (from Last-Event-ID on), then each as it comes, then `event: end`. */
async function streamEvents(service: DeploymentService, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const run = service.runs.get((req.params as { id: string }).id);
  if (!run) return void reply.code(404).send({ error: "no such run" });
  const redactor = await service.redactor();
  const last = Number(req.headers["last-event-id"]);
  let next = Number.isInteger(last) && last >= 0 ? last + 1 : 0;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", connection: "keep-alive" });
  // A comment line now and then keeps proxies and idle timers from closing a stream of a long gate wait.
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  const stop = service.runs.follow(run, next, (m) => {
    if ("event" in m) res.write(`id: ${next++}\ndata: ${redactor.redact(JSON.stringify(m.event))}\n\n`);
    else {
      clearInterval(keepAlive);
      res.end(`event: end\ndata: ${JSON.stringify(m.end)}\n\n`);
    }
  });
  req.raw.on("close", () => {
    clearInterval(keepAlive);
    stop();
  });
}

function sendError(err: FastifyError, reply: FastifyReply, log?: (line: string) => void): FastifyReply {
  if (err.validation) {
    const where = err.validationContext === "querystring" ? "query" : err.validationContext === "params" ? "url" : "request body";
    const problems = simplifyErrors(err.validation as ErrorObject[]).map((e) => withText(requestProblem(where, e)));
    return reply.code(400).send({ error: `bad request: ${problems.map((p) => p.text).join("; ")}`, problems });
  }
  if (err instanceof RequestError) return reply.code(400).send({ error: err.message, problems: err.problems.map(withText) });
  if (err instanceof ConflictError) return reply.code(409).send({ error: err.message, messages: err.messages, ...(err.run ? { run: err.run } : {}) });
  if (err instanceof UnreachableError) return reply.code(502).send({ error: err.message, messages: err.messages });
  if (err instanceof HostError) return reply.code(502).send({ error: err.message, messages: [err.message] });
  if (err instanceof InputError) return reply.code(422).send({ error: "the deployment has problems: fix them first (lading validate)", problems: err.problems.map(withText) });
  // Fastify's own: a body that is not JSON, too large, a content type it does not take.
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
  log?.(`internal error: ${err.stack ?? err.message}`);
  return reply.code(500).send({ error: "internal error (the server's log says more)" });
}

/** An Ajv error of a request as a problem: where (body, query, url), the JSON path, and what is wrong. */
function requestProblem(file: string, e: ErrorObject): Problem {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === "additionalProperties") return { file, path: `${e.instancePath}/${String(params.additionalProperty)}`, message: `unknown key "${String(params.additionalProperty)}"` };
  if (e.keyword === "required") return { file, path: `${e.instancePath}/${String(params.missingProperty)}`, message: `missing key "${String(params.missingProperty)}"` };
  if (e.keyword === "const") return { file, path: e.instancePath || "/", message: `must be ${JSON.stringify(params.allowedValue)}` };
  if (e.keyword === "enum") return { file, path: e.instancePath || "/", message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
  return { file, path: e.instancePath || "/", message: e.message ?? "is invalid" };
}

