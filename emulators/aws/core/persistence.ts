/**
 * Durable state for the emulator: a snapshot plus an append-only journal of model changes.
 *
 * Every model mutation is a plain JSON "change" applied by the service's own reducer; the same
 * change is appended to the journal (`journal.<generation>.ndjson`). Writes for one request are flushed with one
 * synchronous write before the response is sent, so anything a client saw acknowledged
 * survives `kill -9` (the page cache outlives the process). On open, the snapshot is loaded,
 * the journal replayed (a torn last line is ignored), and both are compacted into a new snapshot.
 * Written by hand because it is ~100 lines and a database would couple the models to its schema.
 */
import fs from "node:fs";
import path from "node:path";

export interface Persistable {
  snapshot(): unknown;
  restore(data: unknown): void;
  apply(change: unknown): void;
}

export interface Journal {
  readonly dataDir: string | undefined;
  record(service: string, change: unknown): void;
  /** Writes pending changes; called before each response is sent. */
  flush(): void;
  close(): void;
}

/** In-memory mode: changes are applied by the models, nothing is written. */
export const memoryJournal: Journal = {
  dataDir: undefined,
  record: () => {},
  flush: () => {},
  close: () => {},
};

const SNAPSHOT = "snapshot.json";
const journalName = (generation: number) => `journal.${generation}.ndjson`;
const COMPACT_BYTES = 64 * 1024 * 1024;

/**
 * The snapshot names the generation of the journal that continues it. Compaction writes a
 * snapshot of generation N+1 (atomically, by rename) before it starts journal N+1, so a kill at
 * any point leaves either the old snapshot with its journal or the new one: never a journal
 * replayed over a snapshot that already holds it.
 */
export function openJournal(dataDir: string, services: Record<string, Persistable>): Journal {
  fs.mkdirSync(dataDir, { recursive: true });
  const snapshotPath = path.join(dataDir, SNAPSHOT);

  let generation = 0;
  if (fs.existsSync(snapshotPath)) {
    const saved = JSON.parse(fs.readFileSync(snapshotPath, "utf8")) as {
      generation?: number;
      services?: Record<string, unknown>;
    };
    generation = saved.generation ?? 0;
    for (const [name, data] of Object.entries(saved.services ?? {})) services[name]?.restore(data);
  }
  const current = path.join(dataDir, journalName(generation));
  if (fs.existsSync(current)) {
    for (const line of fs.readFileSync(current, "utf8").split("\n")) {
      if (!line) continue;
      let entry: { s: string; c: unknown };
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // a line torn by a kill mid-write: its request was never acknowledged
      }
      services[entry.s]?.apply(entry.c);
    }
  }

  /** Snapshot of everything as generation+1, then a fresh journal for it; old journals go. */
  const compact = (): number => {
    const next = generation + 1;
    const all: Record<string, unknown> = {};
    for (const [name, svc] of Object.entries(services)) all[name] = svc.snapshot();
    const tmp = `${snapshotPath}.tmp`;
    const out = fs.openSync(tmp, "w");
    fs.writeSync(out, JSON.stringify({ version: 1, generation: next, services: all }));
    fs.fsyncSync(out);
    fs.closeSync(out);
    fs.renameSync(tmp, snapshotPath);
    generation = next;
    const journalFd = fs.openSync(path.join(dataDir, journalName(generation)), "w");
    for (const name of fs.readdirSync(dataDir)) {
      if (/^journal\.\d+\.ndjson$/.test(name) && name !== journalName(generation))
        fs.rmSync(path.join(dataDir, name));
    }
    return journalFd;
  };

  let fd = compact();
  let written = 0;
  let pending: string[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (pending.length === 0 || fd < 0) return;
    const text = pending.join("");
    pending = [];
    fs.writeSync(fd, text);
    written += text.length;
    if (written > COMPACT_BYTES) {
      fs.closeSync(fd);
      fd = compact();
      written = 0;
    }
  };

  return {
    dataDir,
    record(service, change) {
      pending.push(`${JSON.stringify({ s: service, c: change })}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush); // changes made by timers, not requests
      }
    },
    flush,
    close() {
      flush();
      if (fd >= 0) fs.closeSync(fd);
      fd = -1;
    },
  };
}
