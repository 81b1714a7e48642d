// Small shared pieces: every control has a visible label (or an aria-label) and a native role,
// so the dashboard works from the keyboard and tests can drive it by role and name.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

let nextId = 0;
const useId = () => useRef(`f${++nextId}`).current;

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label' | 'onInput' | 'value' | 'type'> & {
  label: string;
  value: string | number;
  onInput: (value: string) => void;
  error?: string;
  hint?: string;
  type?: string;
};

export function Field({ label, value, onInput, error, hint, type = 'text', ...rest }: InputProps) {
  const id = useId();
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        onInput={(event) => onInput((event.target as HTMLInputElement).value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
        {...rest}
      />
      {hint && !error && <small id={`${id}-hint`}>{hint}</small>}
      {error && (
        <small id={`${id}-error`} class="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function Select({ label, value, onChange, options, error }: { label: string; value: string; onChange: (value: string) => void; options: [string, string][]; error?: string }) {
  const id = useId();
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange((event.target as HTMLSelectElement).value)} aria-invalid={error ? 'true' : undefined}>
        {options.map(([key, text]) => (
          <option value={key} key={key}>
            {text}
          </option>
        ))}
      </select>
      {error && (
        <small class="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** A bar of known parts (role progressbar with the reached share as its value). */
export function ProgressBar({ label, parts, total }: { label: string; parts: { name: string; value: number; tone: string }[]; total: number }) {
  const done = parts.filter((part) => part.tone === 'reached' || part.tone === 'not-reached').reduce((sum, part) => sum + part.value, 0);
  const text = parts.map((part) => `${part.value} ${part.name}`).join(', ');
  return (
    <div class="progress-wrap">
      <div class="bar" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total || 1} aria-valuenow={done} aria-valuetext={text || 'no contacts'}>
        {total > 0 && parts.map((part) => part.value > 0 && <span key={part.name} class={`seg ${part.tone}`} style={{ width: `${(100 * part.value) / total}%` }} title={`${part.name}: ${part.value}`} />)}
      </div>
      <ul class="legend">
        {parts.map((part) => (
          <li key={part.name}>
            <i class={`dot ${part.tone}`} aria-hidden="true" />
            {part.name} <b>{part.value}</b>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A modal question; Escape or Cancel closes it. */
export function Confirm({ title, children, confirmLabel, onConfirm, onCancel }: { title: string; children?: ComponentChildren; confirmLabel: string; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(event) => (event.preventDefault(), onCancel())}>
      <h2 id="confirm-title">{title}</h2>
      {children}
      <div class="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" class="primary" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof ApiError ? `${error.message}${error.details.length && !error.details.some((d) => d.path) ? ': ' + error.details.map((d) => d.message).join('; ') : ''}` : String(error);
  return (
    <p class="error-box" role="alert">
      {message}
    </p>
  );
}

/** Loads once (and again when `reload` is called or deps change). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data: T | undefined; error: unknown; reload: () => void; loading: boolean } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setTick((n) => n + 1) };
}

export const fmt = {
  time(value: string | null | undefined): string {
    if (!value) return '—';
    return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  },
  money(value: number | null | undefined): string {
    return value === null || value === undefined ? "—" : `$${value.toFixed(value > 0 && value < 0.1 ? 4 : 2)}`;
  },
  duration(seconds: number | null | undefined): string {
    if (seconds === null || seconds === undefined) return '—';
    return `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;
  },
};

export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return <span class="muted">—</span>;
  return <span class={`badge b-${value}`}>{value.replace(/_/g, ' ')}</span>;
}
