// Options of `npm run vapi:sim` from the environment (VAPI_SIM_*) and flags (--kebab-name=value
// or --kebab-name value; flags win). One table, so the README, --help and the parser agree.
import type { Millis, Outcome, SimulatorOptionsInput, WebhookCredentialPlan } from './options.js';

type Setting = {
  /** Environment variable; the flag is the part after VAPI_SIM_, lower-case, '-' for '_'. */
  env: string;
  help: string;
  apply(value: string, into: SimulatorOptionsInput): void;
};

/** The CLI plays calls at phone-like speed; tests use the library's millisecond defaults. */
export const cliDefaults: SimulatorOptionsInput = {
  port: 4010,
  recordBodies: false, // a long-running process: keep records small
  timing: { queuedMs: 1_000, ringingMs: [3_000, 8_000], talkMs: [15_000, 60_000], reportDelayMs: 1_500 },
};

export const settings: Setting[] = [
  { env: 'VAPI_SIM_PORT', help: 'port to listen on (default 4010; 0 = any free port)', apply: (v, o) => (o.port = integer(v, 'VAPI_SIM_PORT', 0, 65_535)) },
  { env: 'VAPI_SIM_HOST', help: 'interface to listen on (default 127.0.0.1)', apply: (v, o) => (o.host = v) },
  { env: 'VAPI_SIM_SEED', help: 'seed of the random outcomes, durations and faults (default 1)', apply: (v, o) => (o.seed = integer(v, 'VAPI_SIM_SEED', 0, 2 ** 32 - 1)) },
  { env: 'VAPI_SIM_API_KEYS', help: 'comma-separated valid private keys (default: any non-empty key; each key is one account)', apply: (v, o) => (o.apiKeys = list(v)) },
  { env: 'VAPI_SIM_CONCURRENCY_LIMIT', help: 'concurrent calls per key (default 10)', apply: (v, o) => (o.concurrencyLimit = integer(v, 'VAPI_SIM_CONCURRENCY_LIMIT', 0, 100_000)) },
  { env: 'VAPI_SIM_CONCURRENCY_MODE', help: 'when full: reject (400 Over Concurrency Limit, default) or block (201, call ends with …concurrency-limit-reached)', apply: (v, o) => (o.concurrencyMode = oneOf(v, 'VAPI_SIM_CONCURRENCY_MODE', ['reject', 'block'] as const)) },
  { env: 'VAPI_SIM_OUTCOMES', help: 'outcome weights, e.g. answered=60,no_answer=20,busy=5,voicemail=10,failed=5', apply: (v, o) => (o.outcomes = outcomes(v)) },
  { env: 'VAPI_SIM_QUEUED_MS', help: 'queued → ringing, ms or min-max (default 1000)', apply: (v, o) => ((o.timing ??= {}).queuedMs = millis(v, 'VAPI_SIM_QUEUED_MS')) },
  { env: 'VAPI_SIM_RINGING_MS', help: 'ringing → answered or given up (default 3000-8000)', apply: (v, o) => ((o.timing ??= {}).ringingMs = millis(v, 'VAPI_SIM_RINGING_MS')) },
  { env: 'VAPI_SIM_TALK_MS', help: 'in-progress → ended (default 15000-60000)', apply: (v, o) => ((o.timing ??= {}).talkMs = millis(v, 'VAPI_SIM_TALK_MS')) },
  { env: 'VAPI_SIM_REPORT_DELAY_MS', help: 'ended → end-of-call-report (default 1500)', apply: (v, o) => ((o.timing ??= {}).reportDelayMs = millis(v, 'VAPI_SIM_REPORT_DELAY_MS')) },
  { env: 'VAPI_SIM_LATENCY_MS', help: 'delay before every HTTP answer, ms or min-max (default 0)', apply: (v, o) => (o.responseLatencyMs = millis(v, 'VAPI_SIM_LATENCY_MS')) },
  { env: 'VAPI_SIM_NOT_FOUND_WINDOW_MS', help: 'a new call reads 404 for this long (default 0)', apply: (v, o) => (o.notFoundWindowMs = integer(v, 'VAPI_SIM_NOT_FOUND_WINDOW_MS', 0, 3_600_000)) },
  { env: 'VAPI_SIM_WEBHOOK_URL', help: 'post every webhook here instead of assistantOverrides.server.url', apply: (v, o) => (o.webhookUrl = v) },
  { env: 'VAPI_SIM_CREDENTIALS', help: 'webhook credentials with VAPI\'s defaults, id=hmac:secret or id=bearer:token, comma-separated (a call names one as server.credentialId)', apply: (v, o) => (o.credentials = credentials(v)) },
  { env: 'VAPI_SIM_ENDED_REASONS', help: 'draw endedReason from these weights, reason=weight,… or all (every VAPI value alike); default: from the outcome mix', apply: (v, o) => (o.endedReasons = endedReasons(v)) },
  { env: 'VAPI_SIM_DEPRECATED_FIELDS', help: 'true: also send artifact.recordingUrl and the top-level transcript/recordingUrl/summary', apply: (v, o) => (o.deprecatedFields = boolean(v, 'VAPI_SIM_DEPRECATED_FIELDS')) },
  { env: 'VAPI_SIM_RATE_429', help: 'share of POST /call answered 429 (0..1)', apply: (v, o) => ((o.faults ??= {}).rate429 = rate(v, 'VAPI_SIM_RATE_429')) },
  { env: 'VAPI_SIM_RETRY_AFTER_SECONDS', help: 'Retry-After on 429s', apply: (v, o) => ((o.faults ??= {}).retryAfterSeconds = integer(v, 'VAPI_SIM_RETRY_AFTER_SECONDS', 0, 86_400)) },
  { env: 'VAPI_SIM_RATE_500', help: 'share of POST /call answered 500 (0..1)', apply: (v, o) => ((o.faults ??= {}).rate500 = rate(v, 'VAPI_SIM_RATE_500')) },
  { env: 'VAPI_SIM_TIMEOUT_RATE', help: 'share of POST /call that create the call and never answer (0..1)', apply: (v, o) => ((o.faults ??= {}).timeoutAfterCreate = rate(v, 'VAPI_SIM_TIMEOUT_RATE')) },
  { env: 'VAPI_SIM_RESET_RATE', help: 'share of POST /call that create the call and reset the connection (0..1)', apply: (v, o) => ((o.faults ??= {}).resetAfterCreate = rate(v, 'VAPI_SIM_RESET_RATE')) },
  { env: 'VAPI_SIM_TIMEOUT_BEFORE_CREATE_RATE', help: 'share of POST /call never answered and NOT created (0..1)', apply: (v, o) => ((o.faults ??= {}).timeoutBeforeCreate = rate(v, 'VAPI_SIM_TIMEOUT_BEFORE_CREATE_RATE')) },
  { env: 'VAPI_SIM_RESET_BEFORE_CREATE_RATE', help: 'share of POST /call reset and NOT created (0..1)', apply: (v, o) => ((o.faults ??= {}).resetBeforeCreate = rate(v, 'VAPI_SIM_RESET_BEFORE_CREATE_RATE')) },
  { env: 'VAPI_SIM_HANG_MS', help: 'a withheld answer drops the connection after this long (default: never)', apply: (v, o) => ((o.faults ??= {}).hangMs = integer(v, 'VAPI_SIM_HANG_MS', 0, 3_600_000)) },
  { env: 'VAPI_SIM_FAULT_SCOPE', help: 'create (faults hit POST /call only, default) or all (429/500 rates hit GETs too)', apply: (v, o) => ((o.faults ??= {}).scope = oneOf(v, 'VAPI_SIM_FAULT_SCOPE', ['create', 'all'] as const)) },
  { env: 'VAPI_SIM_WEBHOOK_LOSE_RATE', help: 'share of webhooks never sent (0..1)', apply: (v, o) => ((o.webhookFaults ??= {}).loseRate = rate(v, 'VAPI_SIM_WEBHOOK_LOSE_RATE')) },
  { env: 'VAPI_SIM_WEBHOOK_DUPLICATE_RATE', help: 'share of webhooks sent twice (0..1)', apply: (v, o) => ((o.webhookFaults ??= {}).duplicateRate = rate(v, 'VAPI_SIM_WEBHOOK_DUPLICATE_RATE')) },
  { env: 'VAPI_SIM_WEBHOOK_REORDER', help: 'true: end-of-call-report before the ended status-update', apply: (v, o) => ((o.webhookFaults ??= {}).reorder = boolean(v, 'VAPI_SIM_WEBHOOK_REORDER')) },
  { env: 'VAPI_SIM_TIMESTAMPS', help: 'epoch-ms (default) or iso message.timestamp', apply: (v, o) => (o.timestampFormat = oneOf(v, 'VAPI_SIM_TIMESTAMPS', ['epoch-ms', 'iso'] as const)) },
];

export const flagOf = (env: string) => `--${env.slice('VAPI_SIM_'.length).toLowerCase().replaceAll('_', '-')}`;

/** Reads env then flags over the CLI defaults; throws an Error naming the bad setting. */
export function parseCliOptions(env: NodeJS.ProcessEnv, argv: string[]): SimulatorOptionsInput {
  const values = new Map<Setting, string>();
  for (const setting of settings) {
    const value = env[setting.env];
    if (value !== undefined && value !== '') values.set(setting, value);
  }
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const setting = settings.find((s) => flagOf(s.env) === flag);
    if (!setting) throw new Error(`unknown option ${flag} (see --help)`);
    const value = inline ?? argv[++index];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    values.set(setting, value);
  }
  const options: SimulatorOptionsInput = structuredClone(cliDefaults);
  for (const [setting, value] of values) setting.apply(value.trim(), options);
  return options;
}

export function helpText(): string {
  const rows = settings.map((s) => `  ${flagOf(s.env).padEnd(26)} ${s.env.padEnd(32)} ${s.help}`);
  return ['npm run vapi:sim -- [--flag value]…   (each flag also reads from its environment variable)', '', ...rows].join('\n');
}

function fail(name: string, expected: string, value: string): never {
  throw new Error(`${name} must be ${expected} (got ${JSON.stringify(value)})`);
}

function integer(value: string, name: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) fail(name, `an integer from ${min} to ${max}`, value);
  return number;
}

function rate(value: string, name: string): number {
  const number = Number(value);
  if (value === '' || !(number >= 0 && number <= 1)) fail(name, 'a number from 0 to 1', value);
  return number;
}

function millis(value: string, name: string): Millis {
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(value);
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])];
    if (min > max) fail(name, 'ms or min-max with min <= max', value);
    return [min, max];
  }
  return integer(value, name, 0, 86_400_000);
}

function boolean(value: string, name: string): boolean {
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  return fail(name, 'true or false', value);
}

function oneOf<const T extends readonly string[]>(value: string, name: string, allowed: T): T[number] {
  if (!allowed.includes(value)) fail(name, allowed.join(' or '), value);
  return value as T[number];
}

function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

const outcomeNames: readonly Outcome[] = ['answered', 'no_answer', 'busy', 'voicemail', 'failed'];

function outcomes(value: string): Partial<Record<Outcome, number>> {
  const weights: Partial<Record<Outcome, number>> = {};
  for (const pair of list(value)) {
    const [name, weight] = pair.split('=').map((part) => part.trim());
    if (!outcomeNames.includes(name as Outcome) || weight === undefined || !(Number(weight) >= 0)) {
      fail('VAPI_SIM_OUTCOMES', `name=weight pairs with names ${outcomeNames.join(', ')}`, value);
    }
    weights[name as Outcome] = Number(weight);
  }
  return weights;
}

function credentials(value: string): Record<string, WebhookCredentialPlan> {
  const result: Record<string, WebhookCredentialPlan> = {};
  for (const entry of list(value)) {
    const match = /^([^=]+)=(hmac|bearer):(.+)$/.exec(entry);
    if (!match) fail('VAPI_SIM_CREDENTIALS', 'id=hmac:secret or id=bearer:token pairs', value);
    const [, id, type, secret] = match;
    result[id!.trim()] = type === 'hmac' ? { type: 'hmac', secretKey: secret!, algorithm: 'sha256' } : { type: 'bearer', token: secret! };
  }
  return result;
}

function endedReasons(value: string): Record<string, number> | 'all' {
  if (value.trim() === 'all') return 'all';
  const weights: Record<string, number> = {};
  for (const pair of list(value)) {
    const [name, weight] = pair.split('=').map((part) => part.trim());
    if (!name || weight === undefined || !(Number(weight) >= 0)) fail('VAPI_SIM_ENDED_REASONS', 'all, or reason=weight pairs', value);
    weights[name] = Number(weight);
  }
  return weights;
}
