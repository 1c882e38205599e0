// The routes of lading serve's API, as one table: the server registers them from it and the OpenAPI document is
// built from it, so the document lists every route there is. A handler parses its request (checked against
// schemas/api.schema.json before it runs), calls one DeploymentService function, and returns what it found.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ParameterCheck, ParameterEdit, RunRequest } from "../generated/api.js";
import type { DeploymentService, Selection } from "./deployment-service.js";

/** A definition of schemas/api.schema.json, by name. */
export const apiRef = (name: string): { $ref: string } => ({ $ref: `https://lading.dev/schemas/api.schema.json#/$defs/${name}` });

export interface RouteSpec {
  method: "GET" | "POST" | "PUT";
  /** Fastify's form: `/api/parameters/:name`. */
  url: string;
  summary: string;
  description?: string;
  /** Changes something (a file, the hosts): the body must carry confirm: true; refused while a run is in the way. */
  changes?: boolean;
  body?: string;
  query?: string;
  params?: Record<string, Record<string, unknown>>;
  /** Status -> what the answer is (a definition of api.schema.json, or a description of its JSON). */
  responses: Record<number, { description: string; schema?: string }>;
  /** An event stream (text/event-stream), not JSON. */
  stream?: boolean;
  handler: (service: DeploymentService, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const ERRORS = {
  401: { description: "no token, or not the server's token", schema: "ErrorAnswer" },
  422: { description: "the deployment's files have problems (file, line, column, path)", schema: "ErrorAnswer" },
} as const;

const READ_HOSTS = {
  200: { description: "what the command found, with its outcome (the CLI's exit code) and warnings" },
  ...ERRORS,
  502: { description: "hosts unreachable: nothing was changed", schema: "ErrorAnswer" },
} as const;

const NAME_PARAM = { name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", maxLength: 200, description: "the parameter's name" } };
const ID_PARAM = { id: { type: "string", pattern: "^[a-z0-9-]{1,64}$", description: "the run's id" } };

export const ROUTES: RouteSpec[] = [
  {
    method: "GET",
    url: "/api/deployment",
    summary: "the deployment: inventory as resolved (hosts, groups), roles, services per host",
    responses: { 200: { description: "DeploymentView (src/model/deployment-view.ts)" }, ...ERRORS },
    handler: (s) => s.deployment(),
  },
  {
    method: "GET",
    url: "/api/parameters",
    summary: "every parameter with its JSON Schema, its role, and its value per host with where it was set",
    responses: { 200: { description: "{ parameters: ParameterView[], groups, hosts, inventoryEditable }", schema: "ParameterView" }, ...ERRORS },
    handler: (s) => s.parameters(),
  },
  {
    method: "POST",
    url: "/api/parameters/:name/check",
    summary: "check a value for a parameter at a scope with the deployment's loader; nothing is written",
    body: "ParameterCheck",
    params: NAME_PARAM,
    responses: { 200: { description: "{ file, problems: Problem[], written: false, diff }: no problem means the change is valid" }, 400: { description: "a body the schema refuses, or a scope that does not exist", schema: "ErrorAnswer" }, ...ERRORS },
    handler: (s, req) => s.checkParameter((req.params as { name: string }).name, req.body as ParameterCheck),
  },
  {
    method: "PUT",
    url: "/api/parameters/:name",
    summary: "set (or unset) a parameter in globals.yml or the inventory's group or host vars, comments and formatting kept, validated before it is written",
    changes: true,
    body: "ParameterEdit",
    params: NAME_PARAM,
    responses: {
      200: { description: "{ file, problems: [], written, diff }" },
      400: { description: "a body the schema refuses, or a change that makes the deployment invalid (its problems, with file, line and path): nothing written", schema: "ErrorAnswer" },
      409: { description: "a run of this server is under way", schema: "ErrorAnswer" },
      ...ERRORS,
    },
    handler: (s, req) => s.setParameter((req.params as { name: string }).name, req.body as ParameterEdit),
  },
  {
    method: "GET",
    url: "/api/validate",
    summary: "lading validate: schemas, rules and a full render of every host, with each problem's file, line, column and path",
    responses: { 200: { description: "{ ok, environments, problems: Problem[] }" }, 401: ERRORS[401] },
    handler: (s) => s.validate(),
  },
  {
    method: "GET",
    url: "/api/plan",
    summary: "lading plan: per host and service every step with its reason and unified diffs (secrets [REDACTED]), and the schedule",
    query: "HostSelection",
    responses: READ_HOSTS,
    handler: (s, req) => s.plan(req.query as Selection),
  },
  {
    method: "GET",
    url: "/api/check",
    summary: "lading check: drift and health (containers, images, clusters, certificates)",
    query: "HostSelection",
    responses: READ_HOSTS,
    handler: (s, req) => s.check(req.query as Selection),
  },
  {
    method: "GET",
    url: "/api/history",
    summary: "lading history: the revisions recorded on each host and which one runs",
    query: "HostSelection",
    responses: READ_HOSTS,
    handler: (s, req) => s.history(req.query as Selection),
  },
  {
    method: "GET",
    url: "/api/lock",
    summary: "lading lock status: who holds the deploy lock of each host, since when, and whether it looks stale",
    query: "HostSelection",
    responses: READ_HOSTS,
    handler: (s, req) => s.lock(req.query as Selection),
  },
  {
    method: "POST",
    url: "/api/runs",
    summary: "start deploy, reconfigure, deploy-containers, upgrade or rollback in the server, as the CLI runs it",
    description: "Answers once the hosts' facts are in and the deploy lock allows the run; the run goes on, its events at /api/runs/{id}/events.",
    changes: true,
    body: "RunRequest",
    responses: {
      202: { description: "the run started", schema: "RunSummary" },
      400: { description: "a body the schema refuses", schema: "ErrorAnswer" },
      409: { description: "another run of this server is under way, or another run holds the deploy lock: nothing was changed", schema: "ErrorAnswer" },
      ...READ_HOSTS,
    },
    handler: async (s, req, reply) => {
      const run = await s.startRun(req.body as RunRequest);
      reply.code(202);
      return run;
    },
  },
  {
    method: "GET",
    url: "/api/runs",
    summary: "the runs this server started, newest first",
    responses: { 200: { description: "RunSummary[]", schema: "RunSummary" }, 401: ERRORS[401] },
    handler: async (s) => s.runs.list(),
  },
  {
    method: "GET",
    url: "/api/runs/:id",
    summary: "one run with every event it emitted (the objects `--json` prints)",
    params: ID_PARAM,
    responses: { 200: { description: "RunSummary with events: RunEvent[]" }, 401: ERRORS[401], 404: { description: "no such run", schema: "ErrorAnswer" } },
    handler: async (s, req, reply) => {
      const run = s.runs.get((req.params as { id: string }).id);
      if (!run) return reply.code(404).send({ error: "no such run" });
      return { ...run, events: run.events };
    },
  },
  {
    method: "GET",
    url: "/api/runs/:id/events",
    summary: "a run's events as Server-Sent Events: every event so far, then each as it comes (one JSON object per data: line, as --json prints it), then an end event with the run's summary",
    params: ID_PARAM,
    stream: true,
    responses: { 200: { description: "text/event-stream" }, 401: ERRORS[401], 404: { description: "no such run", schema: "ErrorAnswer" } },
    // Registered by the server itself (src/serve/server.ts): a stream is no JSON answer.
    handler: async () => undefined,
  },
];

/** `/api/runs/:id` -> `/api/runs/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, "{$1}");
}
