/** The pure filter-pattern matcher and retention rule, as tables (no emulator). */
import { describe, expect, it } from "vitest";
import {
  compileFilterPattern,
  FilterPatternError,
  jsonField,
  matchesFilterPattern,
  splitFields,
} from "../../emulators/aws/logs/filter-pattern.ts";
import { isExpired } from "../../emulators/aws/logs/retention.ts";

const access = (status: number, origin: string, latencyMs = 12) =>
  JSON.stringify({
    requestId: "r-1",
    status,
    origin,
    latencyMs,
    user: { id: "u1", roles: ["admin", "dev"] },
  });

const cases: Array<[pattern: string, message: string, expected: boolean]> = [
  // empty pattern
  ["", "anything", true],
  ["   ", "", true],
  // terms: case-sensitive, all must appear
  ["ERROR", "[ERROR] disk full", true],
  ["ERROR", "[error] disk full", false],
  ["ERROR disk", "[ERROR] disk full", true],
  ["ERROR memory", "[ERROR] disk full", false],
  ['"disk full"', "[ERROR] disk full", true],
  ['"full disk"', "[ERROR] disk full", false],
  ['"say \\"hi\\""', 'they say "hi"', true],
  // exclusion
  ["ERROR -Exiting", "ERROR Exiting now", false],
  ["ERROR -Exiting", "ERROR retrying", true],
  ["-ERROR", "INFO ok", true],
  ["-ERROR", "ERROR bad", false],
  // any-of groups
  ["?ERROR ?WARN", "WARN slow", true],
  ["?ERROR ?WARN", "INFO ok", false],
  ['?"ERROR" "MainThread" ?"WARN" "Deadlock"', "WARN Deadlock in worker", true],
  ['?"ERROR" "MainThread" ?"WARN" "Deadlock"', "ERROR in worker", false],
  // regex term
  ["%ERR(OR)?[0-9]+%", "code ERR42", true],
  ["%^INFO%", "ERROR INFO", false],
  // JSON: numbers
  ["{ $.status = 403 }", access(403, "http://evil.com"), true],
  ["{ $.status = 403 }", access(200, "http://evil.com"), false],
  ["{ $.status != 403 }", access(200, "x"), true],
  ["{ $.latencyMs > 100 }", access(200, "x", 250), true],
  ["{ $.latencyMs > 100 }", access(200, "x", 100), false],
  ["{ $.latencyMs >= 100 }", access(200, "x", 100), true],
  ["{ $.latencyMs < 100 }", access(200, "x", 5), true],
  ["{ $.latencyMs <= 4 }", access(200, "x", 5), false],
  ["{ $.status >= 400 && $.status < 500 }", access(404, "x"), true],
  ["{ $.status >= 400 && $.status < 500 }", access(503, "x"), false],
  // JSON: strings, wildcards
  ['{ $.origin = "evil.com" }', access(200, "evil.com"), true],
  ['{ $.origin = "evil.com" }', access(200, "http://evil.com"), false],
  ['{ $.origin = "*evil.com" }', access(200, "http://evil.com"), true],
  ["{ $.origin = *evil* }", access(200, "http://evil.com/x"), true],
  ["{ $.origin != *evil* }", access(200, "http://good.com"), true],
  ["{ $.origin != *evil* }", access(200, "http://evil.com"), false],
  ['{ $.origin = "http*" }', access(200, "https://a"), true],
  ["{ $.origin = %^https?://evil% }", access(200, "https://evil.com"), true],
  ["{ $.origin = * }", access(200, "x"), true],
  ["{ $.missing = * }", access(200, "x"), false],
  // JSON: boolean logic and parentheses
  ['{ $.status = 403 || $.origin = "*evil*" }', access(200, "http://evil.com"), true],
  ['{ ($.status = 403 || $.status = 401) && $.origin = "*evil*" }', access(401, "http://evil.com"), true],
  ['{ ($.status = 403 || $.status = 401) && $.origin = "*evil*" }', access(401, "http://good.com"), false],
  ['{ $.status = 200 && ($.origin = "a" || $.origin = "b") }', access(200, "b"), true],
  // JSON: nested fields and arrays
  ['{ $.user.id = "u1" }', access(200, "x"), true],
  ['{ $.user.roles[0] = "admin" }', access(200, "x"), true],
  ['{ $.user.roles[1] = "admin" }', access(200, "x"), false],
  ['{ $.user.roles[5] = "admin" }', access(200, "x"), false],
  // JSON: null, existence, booleans
  ["{ $.err IS NULL }", '{"err":null}', true],
  ["{ $.err IS NULL }", '{"err":"x"}', false],
  ["{ $.err IS NULL }", "{}", false],
  ["{ $.err NOT EXISTS }", "{}", true],
  ["{ $.err NOT EXISTS }", '{"err":null}', false],
  ["{ $.ok IS TRUE }", '{"ok":true}', true],
  ["{ $.ok IS FALSE }", '{"ok":true}', false],
  // JSON patterns never match non-JSON events
  ["{ $.status = 403 }", "status=403", false],
  // space-delimited
  [
    "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a HTTP/1.0" 404 1534',
    true,
  ],
  [
    "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a HTTP/1.0" 200 1534',
    false,
  ],
  ["[ip, ..., status = 5* || status = 429, size]", "1.2.3.4 a b c 429 10", true],
  ["[ip, ..., status = 5* || status = 429, size]", "1.2.3.4 a b c 200 10", false],
  ["[..., size > 1000]", "GET / 2048", true],
  ["[..., size > 1000]", "GET / 20", false],
  ["[a, b]", "one two three", false],
];

describe("matchesFilterPattern", () => {
  it.each(cases)("%j on %j -> %j", (pattern, message, expected) => {
    expect(matchesFilterPattern(pattern, message)).toBe(expected);
  });
});

describe("invalid patterns", () => {
  const invalid = [
    "{ $.status = 403",
    "{ status = 403 }",
    "{ $.status 403 }",
    "{ $.a > abc }",
    "{ $.a IS MAYBE }",
    "{ }",
    '"unterminated',
    "%unterminated",
    "{ $.a = 1 } trailing",
    "[a, b",
    "[a = 1, a]",
    "{ $.a = 1 &| $.b = 2 }",
  ];
  it.each(invalid)("%j is rejected", (pattern) => {
    expect(() => compileFilterPattern(pattern)).toThrow(FilterPatternError);
  });
});

describe("helpers", () => {
  it("splitFields keeps quoted and bracketed fields whole", () => {
    expect(splitFields('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200')).toEqual([
      "1.2.3.4",
      "-",
      "-",
      "10/Oct/2000:13:55:36 -0700",
      "GET / HTTP/1.0",
      "200",
    ]);
  });

  it("jsonField reads nested values", () => {
    expect(jsonField('{"a":{"b":[5,6]}}', "$.a.b[1]")).toBe(6);
    expect(jsonField('{"a":1}', "$.b")).toBeUndefined();
    expect(jsonField("not json", "$.a")).toBeUndefined();
  });

  it("space-delimited patterns name their fields", () => {
    expect(compileFilterPattern("[ip, ..., size]").fields("1.2.3.4 x y 99")).toEqual({
      ip: "1.2.3.4",
      size: "99",
    });
  });
});

describe("isExpired", () => {
  const day = 86_400_000;
  const now = 100 * day;
  const table: Array<[number, number | undefined, boolean]> = [
    [now - 2 * day, 1, true],
    [now - day + 1, 1, false],
    [now - day, 1, false],
    [now - day - 1, 1, true],
    [now - 400 * day, undefined, false],
    [now - 29 * day, 30, false],
    [now - 31 * day, 30, true],
  ];
  it.each(table)("event at %d with retention %j days -> %j", (ts, days, expected) => {
    expect(isExpired(ts, days, now)).toBe(expected);
  });
});
