import t from 'tap';
import { spawn } from 'node:child_process';
import { flagOf, helpText, parseCliOptions, settings } from '../../server/vapiSimulator/cliOptions.js';

t.test('environment, then flags, over phone-like defaults', async (t) => {
  const options = parseCliOptions(
    {
      VAPI_SIM_PORT: '4999',
      VAPI_SIM_SEED: '7',
      VAPI_SIM_API_KEYS: 'sk-a, sk-b',
      VAPI_SIM_OUTCOMES: 'answered=3,busy=1',
      VAPI_SIM_TALK_MS: '100-200',
      VAPI_SIM_RATE_429: '0.25',
      VAPI_SIM_WEBHOOK_REORDER: 'true',
      UNRELATED: 'x',
    },
    ['--port', '5000', '--concurrency-mode=block', '--hang-ms', '1500', '--timeout-before-create-rate', '0.1'],
  );
  t.match(options, {
    port: 5000,
    seed: 7,
    apiKeys: ['sk-a', 'sk-b'],
    outcomes: { answered: 3, busy: 1 },
    concurrencyMode: 'block',
    timing: { queuedMs: 1_000, ringingMs: [3_000, 8_000], talkMs: [100, 200], reportDelayMs: 1_500 },
    faults: { rate429: 0.25, hangMs: 1_500, timeoutBeforeCreate: 0.1 },
    webhookFaults: { reorder: true },
  });
  t.same(parseCliOptions({}, []).port, 4010, 'default port 4010');
});

t.test('credentials, endedReason weights and deprecated fields from the command line', async (t) => {
  const options = parseCliOptions(
    { VAPI_SIM_CREDENTIALS: 'cred-a=hmac:s3cret:with:colons, cred-b=bearer:tok', VAPI_SIM_DEPRECATED_FIELDS: 'yes' },
    ['--ended-reasons', 'customer-busy=2,call.forwarding.no-answer=1'],
  );
  t.same(options.credentials, {
    'cred-a': { type: 'hmac', secretKey: 's3cret:with:colons', algorithm: 'sha256' },
    'cred-b': { type: 'bearer', token: 'tok' },
  });
  t.same(options.endedReasons, { 'customer-busy': 2, 'call.forwarding.no-answer': 1 });
  t.equal(options.deprecatedFields, true);
  t.equal(parseCliOptions({ VAPI_SIM_ENDED_REASONS: 'all' }, []).endedReasons, 'all');
  t.throws(() => parseCliOptions({ VAPI_SIM_CREDENTIALS: 'cred-a=oauth2:x' }, []), /VAPI_SIM_CREDENTIALS must be id=hmac:secret/);
  t.throws(() => parseCliOptions({ VAPI_SIM_ENDED_REASONS: 'customer-busy' }, []), /VAPI_SIM_ENDED_REASONS/);
});

t.test('bad values stop with a message naming the setting', async (t) => {
  t.throws(() => parseCliOptions({ VAPI_SIM_RATE_500: '2' }, []), /VAPI_SIM_RATE_500 must be a number from 0 to 1/);
  t.throws(() => parseCliOptions({}, ['--concurrency-mode', 'queue']), /VAPI_SIM_CONCURRENCY_MODE must be reject or block/);
  t.throws(() => parseCliOptions({ VAPI_SIM_OUTCOMES: 'picked_up=1' }, []), /VAPI_SIM_OUTCOMES/);
  t.throws(() => parseCliOptions({ VAPI_SIM_TALK_MS: '9-1' }, []), /min <= max/);
  t.throws(() => parseCliOptions({}, ['--nope', '1']), /unknown option --nope/);
  t.throws(() => parseCliOptions({}, ['--seed']), /--seed needs a value/);
});

t.test('every setting appears in --help under its flag and variable', async (t) => {
  const help = helpText();
  for (const setting of settings) {
    t.ok(help.includes(flagOf(setting.env)) && help.includes(setting.env), setting.env);
  }
});

t.test('npm run vapi:sim listens, prints its URL, serves POST /call, stops on SIGTERM', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/vapiSim.ts', '--port', '0', '--queued-ms', '10'], {
    env: { ...process.env, VAPI_SIM_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  const response = await fetch(`${url}/call`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-demo', 'content-type': 'application/json' },
    body: JSON.stringify({ assistantId: 'a', phoneNumberId: 'p', customer: { number: '+15550700001' } }),
  });
  t.equal(response.status, 201);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.match(output, /"event":"stopped","dials":1/);
});
