/**
 * Writes `config/platform.schema.json` from the zod schema in services/lib/config.ts, formatted
 * the way biome wants it. Run after changing the schema: `npm run config:schema` (a test fails
 * while the committed file is stale).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { configJsonSchema, repoRoot } from "../services/lib/config.ts";

const schemaPath = path.join(repoRoot, "config", "platform.schema.json");
fs.writeFileSync(schemaPath, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
execFileSync(path.join(repoRoot, "node_modules", ".bin", "biome"), ["format", "--write", schemaPath], {
  stdio: "ignore",
});
console.log(`wrote ${path.relative(process.cwd(), schemaPath)}`);
