/** Minimal XML writing for AWS query/REST answers: escaping and element helpers, nothing more. */

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#xD;",
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => escapes[c] ?? c);
}

/** `<name>text</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return "";
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name>...children xml...</name>`. */
export function wrap(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';

/** Plain data as query-protocol XML: objects nest, arrays become `<member>` items. */
export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return wrap(name, value.map((v) => toXml("member", v)).join(""));
  if (typeof value === "object") {
    return wrap(
      name,
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => toXml(k, v))
        .join(""),
    );
  }
  return el(name, value as string | number | boolean);
}
