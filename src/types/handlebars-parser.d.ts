// Handlebars' parser alone (its CommonJS module; the package has no "exports" map, so the path is reachable):
// lading compiles templates itself and needs only the AST, so the runtime, the code generator and source-map,
// about 45 module files of every start, stay unloaded. Types from the handlebars package's own declarations.
/// <reference types="handlebars" />
declare module "handlebars/dist/cjs/handlebars/compiler/base.js" {
  export function parse(input: string, options?: ParseOptions): hbs.AST.Program;
}
