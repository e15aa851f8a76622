/**
 * Reading the few small XML request bodies S3 takes (CreateBucketConfiguration, Delete): leaf
 * element texts by tag name. A parser dependency would be more than these flat documents need.
 */
const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith("#x")
      ? String.fromCodePoint(Number.parseInt(e.slice(2), 16))
      : e.startsWith("#")
        ? String.fromCodePoint(Number(e.slice(1)))
        : (entities[e] ?? ""),
  );
}

/** Raw (still escaped) texts of every `<tag>text</tag>`, namespace prefixes ignored. */
export function xmlTexts(xml: string, tag: string): string[] {
  const re = new RegExp(`<(?:\\w+:)?${tag}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${tag}>`, "g");
  return [...xml.matchAll(re)].map((m) => m[1] ?? "");
}
