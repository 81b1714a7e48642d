// What each benchmark section (bench/*.bench.ts) receives and returns. scripts/bench.ts runs
// them, prints each table and writes bench/results.json.
import type { Logger } from '../server/log.js';

export type BenchContext = {
  /** A Postgres server on which the section may create (and must drop) its own databases. */
  serverUrl: string;
  /** A migrated database to clone from (CREATE DATABASE … TEMPLATE). */
  template: string;
  log: Logger;
  /** BENCH_QUICK=1: smaller sizes, to check that the benchmark itself works. */
  quick: boolean;
};

export type Goal = { name: string; value: number; target: string; met: boolean };

export type BenchSection = {
  name: string;
  /** Every figure measured, by name (units in the name: _ms, _per_s, _mb …). */
  figures: Record<string, number | string>;
  goals: Goal[];
  /** A markdown table for the report. */
  table: string;
  /** Extra text for the report, e.g. an EXPLAIN (ANALYZE, BUFFERS). */
  notes?: string;
};

export type BenchModule = { run(context: BenchContext): Promise<BenchSection> };
