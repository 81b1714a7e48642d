// The caller number a call is placed from, as people read it: the registered number (GET
// /v1/phone-numbers, loaded once per page) or, for a number not registered, its VAPI id.
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';

let registry: Promise<Map<string, { number: string; label: string | null }>> | undefined;

function loadRegistry() {
  registry ??= get('/v1/phone-numbers').then(
    (page: { items: { id: string; number: string; label: string | null }[] }) => new Map(page.items.map((n) => [n.id, { number: n.number, label: n.label }])),
    () => {
      registry = undefined; // try again next time (e.g. signed in since)
      return new Map();
    },
  );
  return registry;
}

/** id → "+13055550100 (Miami)", the id itself when unregistered, "—" for none yet. */
export function useCallerNumbers(): (id: string | null | undefined) => string {
  const [numbers, setNumbers] = useState<Map<string, { number: string; label: string | null }>>(new Map());
  useEffect(() => {
    let live = true;
    loadRegistry().then((map) => live && setNumbers(map));
    return () => {
      live = false;
    };
  }, []);
  return (id) => {
    if (!id) return '—';
    const known = numbers.get(id);
    return known ? `${known.number}${known.label ? ` (${known.label})` : ''}` : id;
  };
}
