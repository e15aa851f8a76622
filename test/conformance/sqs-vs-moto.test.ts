/**
 * Runs the SQS conformance checks against moto_server (both protocols) and, when it is there,
 * against our emulator, and prints: check | ours | moto | which one AWS's documentation supports.
 * Fails only when moto's results differ from `motoDeviations` (moto.ts), so that list stays true;
 * our emulator's failures are reported here and asserted in test/emulator/sqs-conformance.test.ts.
 * Skipped, with a message, when moto_server is not on PATH.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviationFor, findMotoServer, type Moto, motoDeviations, startMoto } from "./moto.ts";
import { sqsChecks } from "./sqs-checks.ts";
import { type CheckResult, type Protocol, protocols, runChecks } from "./sqs-harness.ts";

const motoBin = findMotoServer();
if (!motoBin) {
  console.warn(
    "sqs-vs-moto: moto_server is not on PATH, so the comparison with moto is skipped (pip install 'moto[server]').",
  );
}

interface Ours {
  url: string;
  close(): Promise<void>;
}

/** Our emulator, if its SQS part has landed and starts; otherwise the reason it is absent. */
async function startOurs(): Promise<Ours | string> {
  try {
    const mod = (await import("../../emulators/aws/server.ts")) as {
      startEmulator(o: { port: number }): Promise<Ours>;
    };
    return await mod.startEmulator({ port: 0 });
  } catch (err) {
    return `not available (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
  }
}

describe.skipIf(!motoBin)("SQS conformance: moto_server vs AWS docs", () => {
  let moto: Moto;
  let ours: Ours | string;
  const results: Record<Protocol, { moto: CheckResult[]; ours?: CheckResult[] }> = {
    json: { moto: [] },
    query: { moto: [] },
  };

  beforeAll(async () => {
    moto = await startMoto(motoBin as string);
    ours = await startOurs();
    for (const p of protocols) {
      const [m, o] = await Promise.all([
        runChecks(moto.url, p, sqsChecks),
        typeof ours === "string" ? undefined : runChecks(ours.url, p, sqsChecks),
      ]);
      results[p] = { moto: m, ...(o ? { ours: o } : {}) };
    }
    printTable(results, typeof ours === "string" ? ours : undefined);
  }, 120_000);

  afterAll(async () => {
    await moto?.close();
    if (ours && typeof ours !== "string") await ours.close();
  });

  for (const p of protocols) {
    it(`moto (${p}) deviates from AWS exactly as motoDeviations says`, () => {
      const surprises: string[] = [];
      for (const r of results[p].moto) {
        const dev = deviationFor(r.name, p);
        if (!dev && !r.ok) surprises.push(`unexpected moto failure: ${r.name}: ${r.error}`);
        if (dev && r.ok && dev.kind !== "flaky")
          surprises.push(`moto now passes (drop it from motoDeviations): ${r.name}`);
        if (dev && !r.ok && !dev.symptom.test(r.error ?? ""))
          surprises.push(`moto fails differently than listed: ${r.name}: ${r.error}`);
      }
      expect(surprises).toEqual([]);
    });
  }

  it("every listed deviation names a real check", () => {
    const names = new Set(sqsChecks.map((c) => c.name));
    expect(motoDeviations.map((d) => d.check).filter((n) => !names.has(n))).toEqual([]);
  });
});

function cell(r: CheckResult | undefined): string {
  if (!r) return "n/a";
  return r.ok ? "pass" : `FAIL: ${(r.error ?? "").slice(0, 90)}`;
}

function printTable(
  results: Record<Protocol, { moto: CheckResult[]; ours?: CheckResult[] }>,
  oursMissing?: string,
) {
  const lines = [
    `SQS conformance (${sqsChecks.length} checks x ${protocols.length} protocols)${oursMissing ? `; our emulator: ${oursMissing}` : ""}`,
    "| check | protocol | ours | moto | AWS documentation supports |",
    "|---|---|---|---|---|",
  ];
  for (const p of protocols) {
    for (const m of results[p].moto) {
      const o = results[p].ours?.find((r) => r.name === m.name);
      const dev = deviationFor(m.name, p);
      let verdict: string;
      if (m.ok && (!o || o.ok)) verdict = "agree (AWS behaviour)";
      else if (!m.ok && dev) verdict = `${o?.ok ? "ours" : "neither"}: ${dev.aws}`;
      else if (!m.ok)
        verdict = `${o?.ok ? "ours" : "neither"} (unlisted moto failure; see the check's cited doc)`;
      else verdict = "moto (our emulator fails the check; see the check's cited doc)";
      lines.push(`| ${m.name} | ${p} | ${cell(o)} | ${cell(m)} | ${verdict.replace(/\|/g, "\\|")} |`);
    }
  }
  console.log(lines.join("\n"));
}
