import type TS from "typescript";
import { type PromiseFacts, returnsPromise } from "./promise-facts.ts";

// The rules behind "Passes, but…": what the tests of a lesson cannot see in a learner's file, read
// from its syntax. Each rule reports only what the syntax proves (a promise from a function
// declared async, a catch block with nothing in it), never a guess, because a false alarm on
// correct code teaches the wrong thing; where syntax cannot tell, a rule stays silent. A rule says
// what it found in the learner's own terms; render/passes-but.ts words it for the learner.

export type PassRule =
  | "floating-promise"
  | "dropped-error"
  | "secret-in-code"
  | "any-in-signature"
  | "debugger"
  | "console-log";

/** The credentials recognized by their format wherever they stand. */
export type CredentialFormat = "jwt" | "private-key" | "aws-access-key" | "github-token" | "stripe-key";

/** What a rule found, in the learner's own terms. */
export type PassWhat =
  | { rule: "floating-promise"; call: string }
  | { rule: "dropped-error"; by: "catch-block" | "catch-handler" }
  | { rule: "secret-in-code"; name: string }
  | { rule: "secret-in-code"; fallbackFor: string }
  | { rule: "secret-in-code"; format: CredentialFormat }
  /** `signature`: the function's name, when it has one. */
  | { rule: "any-in-signature"; signature?: string }
  | { rule: "debugger" }
  | { rule: "console-log"; method: string };

/** A finding and where it is: its node's line is the one reported. */
type Finding = PassWhat & { node: TS.Node };

type Ts = typeof TS;

interface RuleContext {
  ts: Ts;
  source: TS.SourceFile;
  promises: PromiseFacts;
  /** How many times each name is bound in the file: a global such as `console` must not be one. */
  declared: ReadonlyMap<string, number>;
  /** Console methods the lesson's tests listen to: writing to them is what the lesson asks for. */
  consoleExpected: ReadonlySet<string>;
}

function nodesOf<T extends TS.Node>(ctx: RuleContext, match: (node: TS.Node) => node is T): T[] {
  const found: T[] = [];
  const visit = (node: TS.Node): void => {
    if (match(node)) found.push(node);
    ctx.ts.forEachChild(node, visit);
  };
  visit(ctx.source);
  return found;
}

const isGlobal = (ctx: RuleContext, name: string) => !ctx.declared.has(name);

function skipParentheses(ts: Ts, node: TS.Expression): TS.Expression {
  let at = node;
  while (ts.isParenthesizedExpression(at)) at = at.expression;
  return at;
}

// A promise neither awaited nor returned -----------------------------------------------------

const promiseStatics = new Set(["all", "allSettled", "race", "any", "resolve", "reject"]);

/** The class whose `this` a node sees: through arrow functions, not through other functions. */
function thisClass(ts: Ts, node: TS.Node): TS.ClassLikeDeclaration | undefined {
  for (let at = node.parent; at; at = at.parent) {
    if (ts.isClassLike(at)) return at;
    if (ts.isFunctionLike(at) && !ts.isArrowFunction(at) && !ts.isClassLike(at.parent)) return undefined;
  }
  return undefined;
}

function isPromiseMember(ts: Ts, owner: TS.ClassLikeDeclaration, name: string): boolean {
  return owner.members.some((member) => {
    if (!member.name || !ts.isIdentifier(member.name) || member.name.text !== name) return false;
    if (ts.isMethodDeclaration(member)) return returnsPromise(ts, member);
    return ts.isPropertyDeclaration(member) && !!member.initializer && returnsPromise(ts, member.initializer);
  });
}

/** What the call is, as the learner wrote it, when it certainly returns a promise. */
function promiseCall(ctx: RuleContext, call: TS.CallExpression | TS.NewExpression): string | undefined {
  const { ts, promises } = ctx;
  const callee = call.expression;
  if (ts.isNewExpression(call)) {
    return ts.isIdentifier(callee) && callee.text === "Promise" && isGlobal(ctx, "Promise")
      ? "new Promise(…)"
      : undefined;
  }
  if (ts.isIdentifier(callee)) {
    const known = promises.functions.has(callee.text) || (callee.text === "fetch" && isGlobal(ctx, "fetch"));
    return known ? `${callee.text}(…)` : undefined;
  }
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const target = callee.expression;
  // .then(onFulfilled) and .finally(…) hand back a promise that rejects when the chain does.
  if ((method === "then" && call.arguments?.length === 1) || method === "finally") return `.${method}(…)`;
  if (target.kind === ts.SyntaxKind.ThisKeyword) {
    const owner = thisClass(ts, call);
    return owner && isPromiseMember(ts, owner, method) ? `this.${method}(…)` : undefined;
  }
  if (!ts.isIdentifier(target)) return undefined;
  if (target.text === "Promise" && isGlobal(ctx, "Promise") && promiseStatics.has(method))
    return `Promise.${method}(…)`;
  return promises.methods.get(target.text)?.has(method) ? `${target.text}.${method}(…)` : undefined;
}

function floatingPromises(ctx: RuleContext): Finding[] {
  const { ts } = ctx;
  return nodesOf(ctx, ts.isExpressionStatement).flatMap((statement) => {
    const expression = skipParentheses(ts, statement.expression);
    if (!ts.isCallExpression(expression) && !ts.isNewExpression(expression)) return [];
    const call = promiseCall(ctx, expression);
    return call ? [{ rule: "floating-promise" as const, call, node: statement }] : [];
  });
}

// An error caught and dropped ---------------------------------------------------------------

/** Whether a comment stands inside the node, or on the lines just before the statement it is in. */
function hasComment(ctx: RuleContext, node: TS.Node): boolean {
  const { ts, source } = ctx;
  const inside = source.text.slice(node.getStart(source), node.getEnd());
  if (/\/\/|\/\*/.test(inside)) return true;
  let statement: TS.Node = node;
  while (statement.parent && !ts.isBlock(statement.parent) && !ts.isSourceFile(statement.parent)) {
    statement = statement.parent;
  }
  return (ts.getLeadingCommentRanges(source.text, statement.getFullStart()) ?? []).length > 0;
}

function isEmptyHandler(ts: Ts, handler: TS.Expression | undefined): boolean {
  if (!handler || !(ts.isArrowFunction(handler) || ts.isFunctionExpression(handler))) return false;
  const body = handler.body;
  if (ts.isBlock(body)) return body.statements.length === 0;
  return body.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(body) && body.text === "undefined");
}

function droppedErrors(ctx: RuleContext): Finding[] {
  const { ts } = ctx;
  const emptyCatches = nodesOf(ctx, ts.isCatchClause)
    .filter((clause) => clause.block.statements.length === 0 && !hasComment(ctx, clause.block))
    .map((clause) => ({ rule: "dropped-error" as const, by: "catch-block" as const, node: clause }));
  const emptyHandlers = nodesOf(ctx, ts.isCallExpression)
    .filter((call) => ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === "catch")
    .filter((call) => isEmptyHandler(ts, call.arguments[0]) && !hasComment(ctx, call.arguments[0]!))
    .map((call) => ({ rule: "dropped-error" as const, by: "catch-handler" as const, node: call.arguments[0]! }));
  return [...emptyCatches, ...emptyHandlers];
}

// A secret written in the code --------------------------------------------------------------

const credentialFormats: [RegExp, CredentialFormat][] = [
  [/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/, "jwt"],
  [/-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/, "private-key"],
  [/\bAKIA[0-9A-Z]{16}\b/, "aws-access-key"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "github-token"],
  [/\b(?:sk|rk)_live_[0-9A-Za-z]{16,}\b/, "stripe-key"],
];

/** The words of a name: accessToken, ACCESS_TOKEN and access-token are all ["access", "token"]. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

const secretWords = new Set(["secret", "password", "passwd", "passphrase", "token", "apikey", "credentials"]);
const secretPairs = new Set(["api key", "private key", "secret key", "signing key", "access key", "client secret"]);

/** A name that says its value is a secret: it ends in one (jwtSecret, AUTH_SECRET, apiKey, db_password). */
export function isSecretName(name: string): boolean {
  const all = words(name);
  const last = all[all.length - 1] ?? "";
  return secretWords.has(last) || secretPairs.has(all.slice(-2).join(" "));
}

// A value that names a secret field ("authorization", "api-key") is a name, not a secret.
const fieldNames = /^(?:authorization|bearer|token|secret|password|cookie|x-api-key|api[-_]?key)$/i;

/** A literal that could be a credential: 8 characters or more, one word, not a pattern or a placeholder. */
function looksLikeCredential(value: string): boolean {
  return value.length >= 8 && !/[\s[\]{}()|^$*+?\\<>]/.test(value) && !fieldNames.test(value);
}

function stringValue(ts: Ts, node: TS.Expression | undefined): string | undefined {
  if (!node) return undefined;
  let at = skipParentheses(ts, node);
  while (ts.isAsExpression(at) || ts.isSatisfiesExpression(at)) at = skipParentheses(ts, at.expression);
  return ts.isStringLiteral(at) || ts.isNoSubstitutionTemplateLiteral(at) ? at.text : undefined;
}

/** `process.env.AUTH_SECRET` or `process.env["AUTH_SECRET"]`: the variable's name. */
function envName(ts: Ts, node: TS.Expression): string | undefined {
  const at = skipParentheses(ts, node);
  const object = ts.isPropertyAccessExpression(at) || ts.isElementAccessExpression(at) ? at.expression : undefined;
  if (!object || !ts.isPropertyAccessExpression(object) || object.getText() !== "process.env") return undefined;
  if (ts.isPropertyAccessExpression(at)) return at.name.text;
  const key = (at as TS.ElementAccessExpression).argumentExpression;
  return ts.isStringLiteral(key) ? key.text : undefined;
}

/** A secret-named variable or property given a literal, or a literal fallback for a secret from the environment. */
function namedSecret(ctx: RuleContext, node: TS.Node): { name: string } | { fallbackFor: string } | undefined {
  const { ts } = ctx;
  const literal = (value: TS.Expression | undefined) => {
    const text = stringValue(ts, value);
    return text !== undefined && looksLikeCredential(text);
  };
  if ((ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node)) && literal(node.initializer)) {
    const name = node.name;
    const text = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
    return text && isSecretName(text) ? { name: text } : undefined;
  }
  if (!ts.isBinaryExpression(node) || !literal(node.right)) return undefined;
  const operator = node.operatorToken.kind;
  if (operator !== ts.SyntaxKind.QuestionQuestionToken && operator !== ts.SyntaxKind.BarBarToken) return undefined;
  const name = envName(ts, node.left);
  return name && isSecretName(name) ? { fallbackFor: name } : undefined;
}

function secretsInCode(ctx: RuleContext): Finding[] {
  const { ts } = ctx;
  const findings: Finding[] = [];
  const visit = (node: TS.Node): void => {
    const named = namedSecret(ctx, node);
    if (named) {
      findings.push({ rule: "secret-in-code", ...named, node });
      return;
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) {
      const format = credentialFormats.find(([pattern]) => pattern.test(node.text))?.[1];
      if (format) findings.push({ rule: "secret-in-code", format, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(ctx.source);
  return findings;
}

// `any` in a signature -----------------------------------------------------------------------

/** The function whose parameter or return type holds the node, if it stands in one. */
function signatureOf(ts: Ts, node: TS.Node): TS.SignatureDeclaration | undefined {
  let child: TS.Node = node;
  for (let at = node.parent; at; child = at, at = at.parent) {
    if (ts.isParameter(at) && at.type === child && ts.isFunctionLike(at.parent)) return at.parent;
    if (ts.isFunctionLike(at) && at.type === child) return at;
    if (ts.isStatement(at) || ts.isClassElement(at) || ts.isTypeElement(at)) return undefined;
  }
  return undefined;
}

function signatureName(ts: Ts, signature: TS.SignatureDeclaration): string | undefined {
  let named: TS.Node = signature;
  if ((ts.isArrowFunction(signature) || ts.isFunctionExpression(signature)) && !signature.name) {
    named = signature.parent;
  }
  const name = (named as { name?: TS.Node }).name;
  return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) ? `${name.text}()` : undefined;
}

function anyInSignatures(ctx: RuleContext): Finding[] {
  const { ts } = ctx;
  const anys = nodesOf(ctx, (node): node is TS.KeywordTypeNode => node.kind === ts.SyntaxKind.AnyKeyword);
  return anys.flatMap((any) => {
    const signature = signatureOf(ts, any);
    if (!signature) return [];
    const name = signatureName(ts, signature);
    return [{ rule: "any-in-signature" as const, ...(name && { signature: name }), node: any }];
  });
}

// Debugging left in --------------------------------------------------------------------------

function debuggerStatements(ctx: RuleContext): Finding[] {
  return nodesOf(ctx, ctx.ts.isDebuggerStatement).map((node) => ({ rule: "debugger" as const, node }));
}

const debugOutput = new Set(["log", "debug", "info", "trace", "dir", "table"]);

function consoleCalls(ctx: RuleContext): Finding[] {
  const { ts } = ctx;
  if (!isGlobal(ctx, "console")) return [];
  return nodesOf(ctx, ts.isCallExpression).flatMap((call) => {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return [];
    const method = callee.name.text;
    if (callee.expression.text !== "console" || !debugOutput.has(method) || ctx.consoleExpected.has(method)) return [];
    return [{ rule: "console-log" as const, method, node: call }];
  });
}

/** Every rule, the most important first: the order in which a learner reads their notes. */
export const passRules: readonly { rule: PassRule; find: (ctx: RuleContext) => Finding[] }[] = [
  { rule: "floating-promise", find: floatingPromises },
  { rule: "dropped-error", find: droppedErrors },
  { rule: "secret-in-code", find: secretsInCode },
  { rule: "any-in-signature", find: anyInSignatures },
  { rule: "debugger", find: debuggerStatements },
  { rule: "console-log", find: consoleCalls },
];
