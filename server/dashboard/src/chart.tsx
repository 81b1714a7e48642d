// Outcomes over time as stacked bars (uPlot, loaded on demand so the first paint does not wait).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type Bucket = { start: string; answered: number; noAnswer: number; busy: number; voicemail: number; failed: number; other: number };

const series: [keyof Bucket, string, string][] = [
  ['answered', 'answered', '#1a7f37'],
  ['noAnswer', 'no answer', '#9a6700'],
  ['busy', 'busy', '#bc4c00'],
  ['voicemail', 'voicemail', '#8250df'],
  ['failed', 'failed', '#cf222e'],
];

/** Every bucket of the range (empty ones as zeros), so the bars sit at their true times. */
function filled(buckets: Bucket[], from: Date, count: number, stepMs: number): Bucket[] {
  const byStart = new Map(buckets.map((bucket) => [new Date(bucket.start).getTime(), bucket]));
  const first = Math.floor(from.getTime() / stepMs) * stepMs;
  const all: Bucket[] = [];
  for (let i = 0; i <= count; i++) {
    const at = first + i * stepMs;
    const near = [...byStart.entries()].find(([start]) => start >= at && start < at + stepMs)?.[1];
    all.push(near ?? { start: new Date(at).toISOString(), answered: 0, noAnswer: 0, busy: 0, voicemail: 0, failed: 0, other: 0 });
  }
  return all;
}

export default function OutcomeChart({ buckets, from, count, stepMs, label }: { buckets: Bucket[]; from: Date; count: number; stepMs: number; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const rows = filled(buckets, from, count, stepMs);
    const xs = rows.map((row) => new Date(row.start).getTime() / 1000);
    // Stacked: each series is the running sum, drawn as bars from the previous one.
    const stacks: number[][] = [];
    let running = rows.map(() => 0);
    for (const [key] of series) {
      running = running.map((sum, i) => sum + (rows[i]![key] as number));
      stacks.push(running);
    }
    const bars = uPlot.paths.bars!({ size: [0.8, 40] });
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 200,
        legend: { show: true },
        cursor: { show: true },
        series: [{}, ...series.map(([, name, color]) => ({ label: name, stroke: color, fill: color, paths: bars, points: { show: false } })).reverse()],
        axes: [{}, { size: 40 }],
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      [xs, ...[...stacks].reverse()],
      element,
    );
    const resize = () => plot.setSize({ width: Math.max(280, element.clientWidth), height: 200 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [buckets, from.getTime(), count, stepMs]);
  return <div ref={ref} class="chart" role="img" aria-label={label} />;
}
