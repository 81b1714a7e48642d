/// <reference lib="dom" />
// The dashboard's budget: bytes of the first load (gzip) and the first contentful paint of /
// in the system Chromium, served by the same module the API process uses (server/dashboard/serve.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { chromium } from '@playwright/test';
import { buildDashboard, dashboardDist } from '../server/dashboard/build.js';
import { installDashboard } from '../server/dashboard/serve.js';
import { listen } from '../server/httpServer.js';
import type { BenchContext, BenchSection } from './types.js';

const RUNS = 5;

export async function run(context: BenchContext): Promise<BenchSection> {
  await buildDashboard({ quiet: true });
  const html = readFileSync(join(dashboardDist, 'index.html'), 'utf8');
  const firstLoad = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  const gzip = (file: string) => gzipSync(readFileSync(join(dashboardDist, file))).length;
  const firstLoadKb = (gzipSync(Buffer.from(html)).length + firstLoad.reduce((sum, file) => sum + gzip(file), 0)) / 1024;
  const allKb = (gzipSync(Buffer.from(html)).length + readdirSync(join(dashboardDist, 'assets')).reduce((sum, file) => sum + gzip(join('assets', file)), 0)) / 1024;

  const app = express();
  installDashboard(app);
  const server = await listen(app, 0, '127.0.0.1', 1_000);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const paints: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const page = await browser.newPage(); // a new page: nothing cached
      await page.goto(server.url);
      await page.getByRole('heading', { name: 'Sign in to pgdialer' }).waitFor();
      paints.push(
        await page.evaluate(() =>
          new Promise<number>((resolve) => {
            // The paint entry may be recorded a moment after the page shows: observe it, buffered.
            new PerformanceObserver((list) => {
              const entry = list.getEntriesByName('first-contentful-paint')[0];
              if (entry) resolve(entry.startTime);
            }).observe({ type: 'paint', buffered: true });
            setTimeout(() => resolve(Number.NaN), 3_000);
          })),
      );
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const median = [...paints].sort((a, b) => a - b)[Math.floor(paints.length / 2)]!;
  context.log.info('bench.dashboard', { firstLoadKb, allKb, paints });
  return {
    name: 'dashboard',
    figures: { first_load_gzip_kb: Number(firstLoadKb.toFixed(1)), all_assets_gzip_kb: Number(allKb.toFixed(1)), first_contentful_paint_median_ms: Math.round(median), first_contentful_paint_max_ms: Math.round(Math.max(...paints)) },
    goals: [
      { name: 'first load ≤ 300 KB gzip', value: Number(firstLoadKb.toFixed(1)), target: '≤ 300', met: firstLoadKb <= 300 },
      { name: 'first contentful paint ≤ 1 s (median)', value: Math.round(median), target: '≤ 1000 ms', met: median <= 1000 },
    ],
    table: [
      '| measure | value |',
      '|---|---|',
      `| first load (index.html + its JS and CSS), gzip | ${firstLoadKb.toFixed(1)} KB |`,
      `| every asset (the chart's chunk, loaded by the overview, included), gzip | ${allKb.toFixed(1)} KB |`,
      `| first contentful paint of / (median of ${RUNS}, new page each) | ${Math.round(median)} ms |`,
      `| … slowest | ${Math.round(Math.max(...paints))} ms |`,
    ].join('\n'),
  };
}
