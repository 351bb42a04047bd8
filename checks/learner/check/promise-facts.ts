import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type TS from "typescript";

// Which calls in a learner's file certainly return a promise, known from syntax alone: a function
// declared `async` or declared to return `Promise<…>`, in the file itself or exported by a module
// of the project it imports (`@/lib/guard`, `./helpers`), and the methods of an object literal
// built that way (`userService`, made by a factory that returns `{ async getUser() … }`). No type
// checker: that would cost seconds on every pass. What syntax cannot tell stays unknown, so a
// rule built on these facts can be silent, never wrong.

export interface PromiseFacts {
  /** Names that, called as `name(…)`, return a promise. */
  functions: ReadonlySet<string>;
  /** `object.method(…)` calls that return a promise: object name → its promise-returning methods. */
  methods: ReadonlyMap<string, ReadonlySet<string>>;
}

type Ts = typeof TS;

interface ModuleFacts {
  functions: Set<string>;
  methods: Map<string, Set<string>>;
}

/** Whether a function-like node returns a promise by its own declaration. */
export function returnsPromise(ts: Ts, node: TS.Node): boolean {
  if (!ts.isFunctionLike(node)) return false;
  const isAsync =
    ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  if (isAsync) return true;
  const type = node.type;
  return !!type && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === "Promise";
}

/** A name's promise-returning methods, when it is an object literal (or a same-module factory's). */
function objectMethods(ts: Ts, source: TS.SourceFile, initializer: TS.Expression): Set<string> | undefined {
  const object = ts.isObjectLiteralExpression(initializer) ? initializer : factoryResult(ts, source, initializer);
  if (!object) return undefined;
  const names = new Set<string>();
  const locals = localFunctions(ts, enclosingBody(ts, object));
  for (const member of object.properties) {
    const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
    if (!name) continue;
    if (ts.isMethodDeclaration(member) && returnsPromise(ts, member)) names.add(name);
    else if (ts.isPropertyAssignment(member) && returnsPromise(ts, member.initializer)) names.add(name);
    else if (ts.isShorthandPropertyAssignment(member) && locals.has(name)) names.add(name);
  }
  return names.size > 0 ? names : undefined;
}

/** `createX(…)`, where createX is declared in the same module and returns an object literal. */
function factoryResult(ts: Ts, source: TS.SourceFile, call: TS.Expression): TS.ObjectLiteralExpression | undefined {
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression)) return undefined;
  const name = call.expression.text;
  const factory = source.statements.find(
    (s): s is TS.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === name,
  );
  const returned = factory?.body?.statements.find(ts.isReturnStatement)?.expression;
  return returned && ts.isObjectLiteralExpression(returned) ? returned : undefined;
}

function enclosingBody(ts: Ts, node: TS.Node): TS.Node | undefined {
  for (let at = node.parent; at; at = at.parent) if (ts.isBlock(at) || ts.isSourceFile(at)) return at;
  return undefined;
}

/** Promise-returning functions declared directly in a block (a factory's local helpers). */
function localFunctions(ts: Ts, block: TS.Node | undefined): Set<string> {
  const names = new Set<string>();
  if (!block || !(ts.isBlock(block) || ts.isSourceFile(block))) return names;
  for (const statement of block.statements) collectDeclared(ts, statement, names);
  return names;
}

function collectDeclared(ts: Ts, statement: TS.Statement, into: Set<string>): void {
  if (ts.isFunctionDeclaration(statement) && statement.name && returnsPromise(ts, statement)) {
    into.add(statement.name.text);
  }
  if (!ts.isVariableStatement(statement)) return;
  for (const declaration of statement.declarationList.declarations) {
    if (ts.isIdentifier(declaration.name) && declaration.initializer && returnsPromise(ts, declaration.initializer)) {
      into.add(declaration.name.text);
    }
  }
}

function isExported(ts: Ts, node: TS.Node): boolean {
  return ts.canHaveModifiers(node) && !!ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** What a module declares (everything at its top level, or only what it exports). */
function moduleFacts(ts: Ts, source: TS.SourceFile, exportedOnly: boolean): ModuleFacts {
  const facts: ModuleFacts = { functions: new Set(), methods: new Map() };
  for (const statement of source.statements) {
    if (exportedOnly && !isExported(ts, statement)) continue;
    collectDeclared(ts, statement, facts.functions);
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !declaration.initializer) continue;
      const methods = objectMethods(ts, source, declaration.initializer);
      if (methods) facts.methods.set(declaration.name.text, methods);
    }
  }
  return facts;
}

/** Every promise-returning function the learner's file declares, at any depth. */
function ownFunctions(ts: Ts, source: TS.SourceFile, into: Set<string>): void {
  const visit = (node: TS.Node): void => {
    if (ts.isBlock(node) || ts.isSourceFile(node))
      for (const statement of node.statements) collectDeclared(ts, statement, into);
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** Every name the file binds (imports, functions, variables, parameters), counted. */
export function declarationCounts(ts: Ts, source: TS.SourceFile): Map<string, number> {
  const counts = new Map<string, number>();
  const count = (name: TS.Node | undefined) => {
    if (name && ts.isIdentifier(name)) counts.set(name.text, (counts.get(name.text) ?? 0) + 1);
  };
  const visit = (node: TS.Node): void => {
    if (
      ts.isVariableDeclaration(node) ||
      ts.isParameter(node) ||
      ts.isBindingElement(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isImportSpecifier(node) ||
      ts.isNamespaceImport(node) ||
      ts.isImportClause(node)
    ) {
      count(node.name);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return counts;
}

/**
 * The facts for one learner file: its own declarations and those of the project modules it
 * imports by name. A name bound more than once in the file (shadowed, or a parameter of the same
 * name) is left out: which of its bindings a call means is a question for a type checker.
 */
export function promiseFacts(ts: Ts, root: string, file: string, source: TS.SourceFile): PromiseFacts {
  const functions = new Set<string>();
  const methods = new Map<string, Set<string>>();
  ownFunctions(ts, source, functions);
  for (const [name, members] of moduleFacts(ts, source, false).methods) methods.set(name, members);
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const target = resolveImport(ts, root, file, statement.moduleSpecifier.text);
    const bindings = statement.importClause?.namedBindings;
    if (!target || !bindings || statement.importClause?.isTypeOnly) continue;
    const facts = importedFacts(ts, target);
    if (ts.isNamespaceImport(bindings)) {
      if (facts.functions.size > 0) methods.set(bindings.name.text, facts.functions);
      continue;
    }
    for (const element of bindings.elements) {
      const exported = (element.propertyName ?? element.name).text;
      if (facts.functions.has(exported)) functions.add(element.name.text);
      const members = facts.methods.get(exported);
      if (members) methods.set(element.name.text, members);
    }
  }
  const counts = declarationCounts(ts, source);
  const once = (name: string) => (counts.get(name) ?? 0) <= 1;
  return {
    functions: new Set([...functions].filter(once)),
    methods: new Map([...methods].filter(([name]) => once(name))),
  };
}

const parsed = new Map<string, { mtimeMs: number; facts: ModuleFacts }>();

/** An imported module's exported facts, parsed once per process (again when the file changes). */
function importedFacts(ts: Ts, file: string): ModuleFacts {
  const mtimeMs = statSync(file).mtimeMs;
  const cached = parsed.get(file);
  if (cached?.mtimeMs === mtimeMs) return cached.facts;
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const facts = moduleFacts(ts, source, true);
  parsed.set(file, { mtimeMs, facts });
  return facts;
}

const aliasCache = new Map<string, [string, string][]>();

/** The project's path aliases (tsconfig's "paths", such as "@/*" → "./solutions/*"), as prefixes. */
function pathAliases(ts: Ts, root: string): [string, string][] {
  const cached = aliasCache.get(root);
  if (cached) return cached;
  const config = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile).config as
    | { compilerOptions?: { paths?: Record<string, string[]> } }
    | undefined;
  const aliases: [string, string][] = [];
  for (const [pattern, [target] = []] of Object.entries(config?.compilerOptions?.paths ?? {})) {
    if (pattern.endsWith("*") && target?.endsWith("*")) {
      aliases.push([pattern.slice(0, -1), path.join(root, target.slice(0, -1))]);
    }
  }
  aliasCache.set(root, aliases);
  return aliases;
}

/** The project file an import names, or undefined for a package (or a file that is not there). */
function resolveImport(ts: Ts, root: string, file: string, specifier: string): string | undefined {
  let base: string | undefined;
  if (specifier.startsWith(".")) base = path.resolve(root, path.dirname(file), specifier);
  else {
    const alias = pathAliases(ts, root).find(([prefix]) => specifier.startsWith(prefix));
    if (alias) base = path.join(alias[1], specifier.slice(alias[0].length));
  }
  if (!base) return undefined;
  const candidates = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")];
  return candidates.find((candidate) => /\.tsx?$/.test(candidate) && existsSync(candidate));
}
