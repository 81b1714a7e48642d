// One GET /v1/events stream for the tab, read with fetch (EventSource cannot send the
// Authorization header), parsed as server-sent events and handed to every subscriber.
// Reconnects with a growing delay; after a reconnect subscribers get a 'ready' event and re-read.
import { useEffect, useRef } from 'preact/hooks';
import { session } from './api';

export type LiveEvent = { type: string; [key: string]: any };
type Listener = (event: LiveEvent) => void;

const listeners = new Set<Listener>();
let controller: AbortController | undefined;
let connected = false;

let worker: LiveEvent | undefined;

/** The worker's last known state (from the stream's ready event or its worker events). */
export const lastWorker = () => worker;

function emit(event: LiveEvent): void {
  if (event.type === 'worker') worker = event;
  if (event.type === 'ready' && event.worker) worker = event.worker;
  for (const listener of listeners) listener(event);
}

async function run(signal: AbortSignal): Promise<void> {
  let delay = 1_000;
  while (!signal.aborted) {
    try {
      const key = session.key();
      if (!key) return;
      const response = await fetch('/v1/events', { headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' }, signal });
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      connected = true;
      emit({ type: 'connection', connected: true });
      delay = 1_000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (data) emit({ ...JSON.parse(data), type });
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    if (connected) emit({ type: 'connection', connected: false });
    connected = false;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15_000);
  }
}

export function startLive(): void {
  stopLive();
  controller = new AbortController();
  void run(controller.signal);
}

export function stopLive(): void {
  controller?.abort();
  controller = undefined;
  connected = false;
}

export const isLive = () => connected;

/** Calls `handler` for each live event; the latest handler is used without resubscribing. */
export function useLive(handler: Listener): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const listener: Listener = (event) => ref.current(event);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
}

/**
 * Re-runs `reload` after live events that `matters` accepts, at most every `everyMs`: many
 * calls changing at once cost one re-read of the page, not one per call.
 */
export function useLiveReload(reload: () => void, matters: (event: LiveEvent) => boolean, everyMs = 400): void {
  const timer = useRef<number | undefined>(undefined);
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  useEffect(() => () => clearTimeout(timer.current), []);
  useLive((event) => {
    if (!matters(event) || timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      reloadRef.current();
    }, everyMs);
  });
}
