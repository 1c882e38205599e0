// Checks that a Handlebars template stays logic-less and reads only names the render context will hold.
// The context is described as shapes (what each name is: a value, a boolean, an object, a list), so that
// `{{#each backends}}{{address}}{{/each}}` is checked against the fields of a backend.
import Handlebars from "handlebars";
import type { LoadedRole, ParameterSpecs } from "./role-fixture.js";

export type Shape =
  | { kind: "value" }
  | { kind: "boolean" }
  | { kind: "object"; fields: Record<string, Shape> }
  | { kind: "list"; item: Shape };

const value: Shape = { kind: "value" };
const boolean: Shape = { kind: "boolean" };
const object = (fields: Record<string, Shape>): Shape => ({ kind: "object", fields });
const list = (item: Shape): Shape => ({ kind: "list", item });

/** One host of a `hosts` computed value. */
const hostItem = object({ name: value, address: value, index: value, first: boolean });

/** One entry of `loadbalancerServices` (the normalised shape the haproxy template needs). */
const loadbalancerService = object({
  name: value,
  mode: value,
  http: boolean,
  port: value,
  backendPort: value,
  balance: value,
  activeBackup: boolean,
  check: object({ http: boolean, mysql: boolean, httpPath: value, mysqlUser: value, inter: value, rise: value, fall: value }),
  timeouts: object({ client: value, server: value }),
  tls: boolean,
  tlsRedirect: boolean,
  backendTls: boolean,
  backends: list(object({ name: value, address: value, port: value, backup: boolean })),
});

/** The context every template of `role` sees: all parameters, all secrets, host, service, the role's computed values. */
export function contextShape(role: LoadedRole, roles: LoadedRole[], globals: ParameterSpecs): Shape {
  const fields: Record<string, Shape> = {
    host: object({ name: value, address: value }),
    service: object({ name: value, configDir: value }),
    vip_protocol: value,
    backend_protocol: value,
    tls_ca_file: value,
  };
  const secrets: Record<string, Shape> = {};
  const parameters: ParameterSpecs = { ...globals };
  for (const r of roles) {
    Object.assign(parameters, r.role.parameters ?? {});
    for (const name of Object.keys(r.role.secrets ?? {})) secrets[name] = value;
  }
  for (const [name, spec] of Object.entries(parameters)) {
    fields[name] = spec?.type === "boolean" ? boolean : value;
  }
  fields["secrets"] = object(secrets);
  for (const [name, spec] of Object.entries(role.role.computed ?? {})) {
    if (!spec) continue;
    fields[name] =
      spec.kind === "hosts" ? list(hostItem) : spec.kind === "loadbalancerServices" ? list(loadbalancerService) : spec.kind === "tlsCertificate" ? object({ bundle: value, ca: value, backendCertificate: value, backendKey: value }) : value;
  }
  return object(fields);
}

type Node = hbs.AST.Node;

/** Problems of one template: unknown names, helpers other than each/if, #if on a non-boolean, #each on a non-list. */
export function checkTemplate(text: string, root: Shape): string[] {
  const problems: string[] = [];
  const scopes: Shape[] = [root];

  function resolve(path: hbs.AST.PathExpression): Shape | undefined {
    if (path.data) return value; // @index, @first inside #each
    const scope = scopes[scopes.length - 1 - path.depth];
    if (!scope) {
      problems.push(`line ${path.loc.start.line}: "${path.original}" climbs above the template`);
      return undefined;
    }
    let shape: Shape = scope;
    for (const part of path.parts) {
      if (shape.kind !== "object" || !(part in shape.fields)) {
        problems.push(`line ${path.loc.start.line}: "${path.original}" is not a parameter, secret, computed value or context key`);
        return undefined;
      }
      shape = shape.fields[part]!;
    }
    return shape;
  }

  function visit(node: Node): void {
    switch (node.type) {
      case "Program":
        for (const s of (node as hbs.AST.Program).body) visit(s);
        break;
      case "MustacheStatement": {
        const m = node as hbs.AST.MustacheStatement;
        if (m.params.length || (m.hash && m.hash.pairs.length) || m.path.type !== "PathExpression") {
          problems.push(`line ${m.loc.start.line}: helpers are not allowed in templates`);
          break;
        }
        const shape = resolve(m.path as hbs.AST.PathExpression);
        if (shape && shape.kind !== "value" && shape.kind !== "boolean") {
          problems.push(`line ${m.loc.start.line}: "${(m.path as hbs.AST.PathExpression).original}" is an ${shape.kind}, not a value`);
        }
        break;
      }
      case "BlockStatement": {
        const b = node as hbs.AST.BlockStatement;
        const helper = (b.path as hbs.AST.PathExpression).original;
        const arg = b.params[0];
        if ((helper !== "each" && helper !== "if") || b.params.length !== 1 || arg?.type !== "PathExpression") {
          problems.push(`line ${b.loc.start.line}: only {{#each list}} and {{#if boolean}} blocks are allowed (found #${helper})`);
          break;
        }
        const shape = resolve(arg as hbs.AST.PathExpression);
        const name = (arg as hbs.AST.PathExpression).original;
        if (helper === "if") {
          if (shape && shape.kind !== "boolean") problems.push(`line ${b.loc.start.line}: #if on "${name}", which is not a boolean`);
          visit(b.program);
          if (b.inverse) visit(b.inverse);
        } else {
          if (shape && shape.kind !== "list") {
            problems.push(`line ${b.loc.start.line}: #each over "${name}", which is not a list`);
            break;
          }
          scopes.push(shape ? shape.item : value);
          visit(b.program);
          scopes.pop();
          if (b.inverse) visit(b.inverse);
        }
        break;
      }
      case "ContentStatement":
      case "CommentStatement":
        break;
      default:
        problems.push(`line ${node.loc.start.line}: ${node.type} is not allowed in templates`);
    }
  }

  visit(Handlebars.parse(text));
  return problems;
}

/** Every string inside a role.yaml value (containers, registrations, gates...), with its path. */
export function stringsIn(value: unknown, path: string[] = []): { path: string; text: string }[] {
  if (typeof value === "string") return [{ path: path.join("/"), text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, [...path, String(i)]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => stringsIn(v, [...path, k]));
  }
  return [];
}
