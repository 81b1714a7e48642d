// The dashboard's only way to the server: the public /v1 API with the tab's API key.
export type ErrorDetail = { path?: string; message: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
  /** Field path → message, for showing each error next to its field. */
  byField(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const detail of this.details) if (detail.path) out[detail.path] ??= detail.message;
    return out;
  }
}

const KEY = 'pgdialer.apiKey';
// sessionStorage: the key lives as long as the tab, never on disk for other tabs.
export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export async function errorOf(response: Response): Promise<ApiError> {
  const body = await response.json().catch(() => null);
  const error = body?.error;
  return new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `${response.status} ${response.statusText}`, error?.details ?? []);
}

export type RequestOptions = { body?: unknown; token?: string; raw?: BodyInit; contentType?: string };

export async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = options.token ?? session.key();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers['Content-Type'] = options.contentType;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !options.token) window.dispatchEvent(new CustomEvent('pgdialer:unauthorized'));
    throw error;
  }
  return response;
}

export async function api<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);

/** "?a=1&b=2" from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Saves a response body as a file (CSV export, rejected rows). */
export function download(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
