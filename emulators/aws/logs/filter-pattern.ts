/**
 * CloudWatch Logs filter patterns ("Filter pattern syntax for metric filters, subscription
 * filters, filter log events and Live Tail"), as a pure compiler and matcher: no state, no clock.
 *
 * Three shapes, chosen by the pattern's first character:
 * - terms (unstructured events): `ERROR`, `"exact phrase"`, `-excluded`, `%regex%`; terms in a
 *   group must all appear (case-sensitive); `?` starts another group, and any group may match
 *   (`?ERROR ?WARN`, CDK's `anyTermGroup` renders `?"ERROR" "MainThread" ?"WARN" "Deadlock"`);
 * - JSON `{ $.status = 403 && ($.origin = "*evil*" || $.latencyMs > 100) }` with `=`, `!=`, `<`,
 *   `<=`, `>`, `>=`, `IS NULL`, `NOT EXISTS`, `IS TRUE`, `IS FALSE`, `*` wildcards in strings,
 *   `%regex%` values, nested fields and array indexes (`$.a.b[0]`);
 * - space-delimited `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`: fields split on
 *   spaces, `"..."` and `[...]` hold one field each, `...` matches any number of fields.
 * The empty (or blank) pattern matches every event.
 */

export class FilterPatternError extends Error {}

export type Selector = Array<string | number>;

export interface CompiledPattern {
  kind: "all" | "terms" | "json" | "delimited";
  matches(message: string): boolean;
  /** Named fields of a space-delimited pattern for an event it matches (for `$name` metric values). */
  fields(message: string): Record<string, string> | undefined;
}

/** Pure: does `pattern` match the event's message? Throws FilterPatternError for a bad pattern. */
export function matchesFilterPattern(pattern: string, message: string): boolean {
  return compileFilterPattern(pattern).matches(message);
}

export function compileFilterPattern(pattern: string): CompiledPattern {
  const text = pattern.trim();
  if (text === "") return { kind: "all", matches: () => true, fields: () => undefined };
  if (text.startsWith("{")) return compileJson(text);
  if (text.startsWith("[")) return compileDelimited(text);
  return compileTerms(text);
}

// ---------------------------------------------------------------------------------------------
// Values shared by JSON and space-delimited patterns

type Op = "=" | "!=" | "<" | "<=" | ">" | ">=";

type Literal =
  | { type: "number"; value: number }
  | { type: "string"; value: string; glob?: RegExp }
  | { type: "regex"; value: RegExp };

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function stringLiteral(value: string, quoted: boolean): Literal {
  if (!quoted && NUMBER.test(value)) return { type: "number", value: Number(value) };
  if (!value.includes("*")) return { type: "string", value };
  const glob = new RegExp(`^${value.split("*").map(escapeRegex).join(".*")}$`, "s");
  return { type: "string", value, glob };
}

function regexLiteral(source: string): Literal {
  try {
    return { type: "regex", value: new RegExp(source) };
  } catch {
    throw new FilterPatternError(`Invalid regular expression %${source}%.`);
  }
}

function compare(op: Op, actual: unknown, expected: Literal): boolean {
  if (actual === undefined || actual === null) return false;
  if (typeof actual === "object") return false;
  const text = String(actual);
  switch (expected.type) {
    case "regex": {
      const hit = expected.value.test(text);
      return op === "=" ? hit : op === "!=" ? !hit : false;
    }
    case "string": {
      const hit = expected.glob ? expected.glob.test(text) : text === expected.value;
      return op === "=" ? hit : op === "!=" ? !hit : false;
    }
    case "number": {
      const n = typeof actual === "number" ? actual : NUMBER.test(text) ? Number(text) : Number.NaN;
      if (Number.isNaN(n)) return op === "!=";
      switch (op) {
        case "=":
          return n === expected.value;
        case "!=":
          return n !== expected.value;
        case "<":
          return n < expected.value;
        case "<=":
          return n <= expected.value;
        case ">":
          return n > expected.value;
        case ">=":
          return n >= expected.value;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens for JSON and space-delimited patterns

type Token =
  | { t: "punct"; v: "{" | "}" | "(" | ")" | "[" | "]" | "," | "&&" | "||" }
  | { t: "op"; v: Op }
  | { t: "string"; v: string }
  | { t: "regex"; v: string }
  | { t: "word"; v: string };

const WORD_STOP = new Set([...'(){}[],=!<>&|"%']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === "&&" || two === "||") {
      out.push({ t: "punct", v: two });
      i += 2;
    } else if (two === "!=" || two === "<=" || two === ">=" || two === "==") {
      out.push({ t: "op", v: two === "==" ? "=" : two });
      i += 2;
    } else if (c === "=" || c === "<" || c === ">") {
      out.push({ t: "op", v: c });
      i++;
    } else if ("{}()[],".includes(c)) {
      out.push({ t: "punct", v: c as "{" });
      i++;
    } else if (c === '"') {
      const [value, end] = readQuoted(text, i);
      out.push({ t: "string", v: value });
      i = end;
    } else if (c === "%") {
      const end = text.indexOf("%", i + 1);
      if (end < 0) throw new FilterPatternError("Unterminated regular expression: missing closing %.");
      out.push({ t: "regex", v: text.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "$") {
      // A selector keeps its brackets: $.a.b[0]
      let j = i + 1;
      while (j < text.length && /[^\s(){},=!<>&|"%]/.test(text[j] as string)) {
        if (text[j] === "]" && !text.slice(i, j).includes("[")) break;
        j++;
      }
      out.push({ t: "word", v: text.slice(i, j) });
      i = j;
    } else if (c === "&" || c === "|" || c === "!") {
      throw new FilterPatternError(`Unexpected character '${c}' at position ${i}.`);
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j] as string) && !WORD_STOP.has(text[j] as string)) j++;
      out.push({ t: "word", v: text.slice(i, j) });
      i = j;
    }
  }
  return out;
}

/** `"..."` starting at `start`, with `\"` and `\\` escapes -> [value, index after the quote]. */
function readQuoted(text: string, start: number): [string, number] {
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (c === '"') {
      return [value, i + 1];
    } else {
      value += c;
      i++;
    }
  }
  throw new FilterPatternError("Unterminated quoted string in filter pattern.");
}

class Cursor {
  readonly tokens: Token[];
  at = 0;
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }
  peek(): Token | undefined {
    return this.tokens[this.at];
  }
  next(): Token {
    const t = this.tokens[this.at++];
    if (!t) throw new FilterPatternError("Unexpected end of filter pattern.");
    return t;
  }
  isPunct(v: string): boolean {
    const t = this.peek();
    return t?.t === "punct" && t.v === v;
  }
  expectPunct(v: string): void {
    const t = this.next();
    if (t.t !== "punct" || t.v !== v) throw new FilterPatternError(`Expected '${v}' but found '${t.v}'.`);
  }
}

function literalFrom(t: Token): Literal {
  if (t.t === "string") return stringLiteral(t.v, true);
  if (t.t === "regex") return regexLiteral(t.v);
  if (t.t === "word") return stringLiteral(t.v, false);
  throw new FilterPatternError(`Expected a value but found '${t.v}'.`);
}

function checkOperand(op: Op, value: Literal): void {
  if (value.type !== "number" && op !== "=" && op !== "!=") {
    throw new FilterPatternError(`Operator ${op} needs a numeric value.`);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON patterns

type Expr<T> = { k: "and" | "or"; l: Expr<T>; r: Expr<T> } | { k: "leaf"; test: (subject: T) => boolean };

function evaluate<T>(e: Expr<T>, subject: T): boolean {
  if (e.k === "leaf") return e.test(subject);
  return e.k === "and"
    ? evaluate(e.l, subject) && evaluate(e.r, subject)
    : evaluate(e.l, subject) || evaluate(e.r, subject);
}

/** expr := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '(' expr ')' | leaf */
function parseBoolean<T>(c: Cursor, leaf: (c: Cursor) => Expr<T>, stop: (c: Cursor) => boolean): Expr<T> {
  const unary = (): Expr<T> => {
    if (c.isPunct("(")) {
      c.next();
      const inner = or();
      c.expectPunct(")");
      return inner;
    }
    return leaf(c);
  };
  const and = (): Expr<T> => {
    let l = unary();
    while (c.isPunct("&&") && !stop(c)) {
      c.next();
      l = { k: "and", l, r: unary() };
    }
    return l;
  };
  const or = (): Expr<T> => {
    let l = and();
    while (c.isPunct("||") && !stop(c)) {
      c.next();
      l = { k: "or", l, r: and() };
    }
    return l;
  };
  return or();
}

/** `$.a.b[0]["key"]` -> ["a", "b", 0]; `$` alone is the whole event. */
export function parseSelector(text: string): Selector {
  if (!text.startsWith("$")) throw new FilterPatternError(`A JSON selector must start with $: '${text}'.`);
  const path: Selector = [];
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      const m = /^[^.[\]]+/.exec(text.slice(i + 1));
      if (!m) throw new FilterPatternError(`Invalid JSON selector '${text}'.`);
      path.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === "[") {
      const m = /^\[(\d+)\]/.exec(text.slice(i));
      if (!m) throw new FilterPatternError(`Invalid array index in JSON selector '${text}'.`);
      path.push(Number(m[1]));
      i += m[0].length;
    } else {
      throw new FilterPatternError(`Invalid JSON selector '${text}'.`);
    }
  }
  return path;
}

const MISSING = Symbol("missing");

/** The value a selector names in a parsed JSON event, or MISSING. */
export function select(root: unknown, path: Selector): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (typeof key === "number") {
      if (!Array.isArray(v) || key >= v.length) return MISSING;
      v = v[key];
    } else {
      if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, key)) return MISSING;
      v = (v as Record<string, unknown>)[key];
    }
  }
  return v;
}

/** A parsed JSON object event, or undefined when the message is not one. */
export function parseJsonEvent(message: string): unknown {
  const text = message.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The value `$.path` names in a JSON event message, or undefined. */
export function jsonField(message: string, selector: string): unknown {
  const root = parseJsonEvent(message);
  if (root === undefined) return undefined;
  const v = select(root, parseSelector(selector));
  return v === MISSING ? undefined : v;
}

function jsonLeaf(c: Cursor): Expr<unknown> {
  const t = c.next();
  if (t.t !== "word" || !t.v.startsWith("$")) {
    throw new FilterPatternError(`Expected a JSON selector such as $.field but found '${t.v}'.`);
  }
  const path = parseSelector(t.v);
  const next = c.next();
  if (next.t === "word") {
    const keyword = next.v.toUpperCase();
    if (keyword === "IS") {
      const what = c.next();
      const w = what.t === "word" ? what.v.toUpperCase() : "";
      if (w === "NULL") return { k: "leaf", test: (r) => select(r, path) === null };
      if (w === "TRUE") return { k: "leaf", test: (r) => select(r, path) === true };
      if (w === "FALSE") return { k: "leaf", test: (r) => select(r, path) === false };
      throw new FilterPatternError(`Expected NULL, TRUE or FALSE after IS but found '${what.v}'.`);
    }
    if (keyword === "NOT") {
      const what = c.next();
      if (what.t === "word" && what.v.toUpperCase() === "EXISTS")
        return { k: "leaf", test: (r) => select(r, path) === MISSING };
      throw new FilterPatternError(`Expected EXISTS after NOT but found '${what.v}'.`);
    }
    throw new FilterPatternError(`Expected an operator after ${t.v} but found '${next.v}'.`);
  }
  if (next.t !== "op")
    throw new FilterPatternError(`Expected an operator after ${t.v} but found '${next.v}'.`);
  const op = next.v;
  const value = literalFrom(c.next());
  checkOperand(op, value);
  if (value.type === "string" && value.value === "*" && op === "=") {
    return { k: "leaf", test: (r) => select(r, path) !== MISSING };
  }
  return {
    k: "leaf",
    test: (r) => {
      const v = select(r, path);
      return v !== MISSING && compare(op, v, value);
    },
  };
}

function compileJson(text: string): CompiledPattern {
  const c = new Cursor(tokenize(text));
  c.expectPunct("{");
  if (c.isPunct("}")) throw new FilterPatternError("A JSON filter pattern needs at least one condition.");
  const expr = parseBoolean(c, jsonLeaf, () => false);
  c.expectPunct("}");
  if (c.peek()) throw new FilterPatternError(`Unexpected '${c.peek()?.v}' after the closing }.`);
  return {
    kind: "json",
    matches: (message) => {
      const root = parseJsonEvent(message);
      return root !== undefined && evaluate(expr, root);
    },
    fields: () => undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Space-delimited patterns

interface Column {
  name: string;
  ellipsis: boolean;
  condition?: Expr<string>;
}

/** Splits an event into fields: spaces separate, `"..."` and `[...]` are one field each. */
export function splitFields(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  const s = message.trim();
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const close = c === '"' ? '"' : c === "[" ? "]" : undefined;
    if (close) {
      const end = s.indexOf(close, i + 1);
      if (end >= 0) {
        out.push(s.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j] as string)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

function compileDelimited(text: string): CompiledPattern {
  const c = new Cursor(tokenize(text));
  c.expectPunct("[");
  const columns: Column[] = [];
  const names = new Set<string>();
  while (!c.isPunct("]")) {
    const t = c.next();
    if (t.t !== "word") throw new FilterPatternError(`Expected a field name but found '${t.v}'.`);
    if (t.v === "...") {
      columns.push({ name: "...", ellipsis: true });
    } else {
      if (!/^[A-Za-z0-9_-]+$/.test(t.v)) throw new FilterPatternError(`Invalid field name '${t.v}'.`);
      if (names.has(t.v)) throw new FilterPatternError(`Field name '${t.v}' is used twice.`);
      names.add(t.v);
      const column: Column = { name: t.v, ellipsis: false };
      if (c.peek()?.t === "op") {
        c.at--; // the condition starts with this field's name
        column.condition = parseBoolean(c, delimitedLeaf(t.v), (cur) => cur.isPunct(","));
      }
      columns.push(column);
    }
    if (c.isPunct(",")) c.next();
    else if (!c.isPunct("]")) throw new FilterPatternError(`Expected ',' or ']' but found '${c.peek()?.v}'.`);
  }
  c.expectPunct("]");
  if (c.peek()) throw new FilterPatternError(`Unexpected '${c.peek()?.v}' after the closing ].`);
  if (columns.length === 0)
    throw new FilterPatternError("A space-delimited pattern needs at least one field.");

  const bind = (message: string): Record<string, string> | undefined => {
    const fields = splitFields(message);
    const bound: Record<string, string> = {};
    const walk = (ci: number, fi: number): boolean => {
      if (ci === columns.length) return fi === fields.length;
      const col = columns[ci] as Column;
      if (col.ellipsis) {
        for (let k = fi; k <= fields.length; k++) if (walk(ci + 1, k)) return true;
        return false;
      }
      const value = fields[fi];
      if (value === undefined) return false;
      if (col.condition && !evaluate(col.condition, value)) return false;
      bound[col.name] = value;
      return walk(ci + 1, fi + 1);
    };
    return walk(0, 0) ? bound : undefined;
  };
  return { kind: "delimited", matches: (m) => bind(m) !== undefined, fields: bind };
}

function delimitedLeaf(name: string): (c: Cursor) => Expr<string> {
  return (c) => {
    const t = c.next();
    if (t.t !== "word" || t.v !== name) {
      throw new FilterPatternError(`A condition on field '${name}' must name '${name}', not '${t.v}'.`);
    }
    const op = c.next();
    if (op.t !== "op") throw new FilterPatternError(`Expected an operator after ${name}.`);
    const value = literalFrom(c.next());
    checkOperand(op.v, value);
    return { k: "leaf", test: (field) => compare(op.v, field, value) };
  };
}

// ---------------------------------------------------------------------------------------------
// Terms (unstructured events)

interface Term {
  negate: boolean;
  test: (message: string) => boolean;
}

function compileTerms(text: string): CompiledPattern {
  const groups: Term[][] = [];
  let current: Term[] | undefined;
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i] as string)) {
      i++;
      continue;
    }
    let any = false;
    let negate = false;
    if (text[i] === "?") {
      any = true;
      i++;
    }
    if (text[i] === "-") {
      negate = true;
      i++;
    }
    let test: (m: string) => boolean;
    const c = text[i];
    if (c === '"') {
      const [value, end] = readQuoted(text, i);
      i = end;
      test = (m) => m.includes(value);
    } else if (c === "%") {
      const end = text.indexOf("%", i + 1);
      if (end < 0) throw new FilterPatternError("Unterminated regular expression: missing closing %.");
      const re = regexLiteral(text.slice(i + 1, end)).value as RegExp;
      i = end + 1;
      test = (m) => re.test(m);
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j] as string)) j++;
      const word = text.slice(i, j);
      if (word === "") throw new FilterPatternError(`Missing term after '${text[i - 1]}'.`);
      if (/["{}[\]]/.test(word)) throw new FilterPatternError(`Invalid character(s) in term '${word}'.`);
      i = j;
      test = (m) => m.includes(word);
    }
    if (any || !current) {
      current = [];
      groups.push(current);
    }
    current.push({ negate, test });
  }
  const matchesGroup = (g: Term[], m: string) => g.every((t) => t.test(m) !== t.negate);
  return {
    kind: "terms",
    matches: (m) => groups.some((g) => matchesGroup(g, m)),
    fields: () => undefined,
  };
}
