// npm run vapi:sim — the VAPI simulator as a standalone server, for demos and `npm start`
// (configure a tenant with its URL as VAPI base URL). Options: `npm run vapi:sim -- --help`.
import { helpText, parseCliOptions } from '../server/vapiSimulator/cliOptions.js';
import { startVapiSimulator } from '../server/vapiSimulator/index.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(helpText());
  process.exit(0);
}

let options;
try {
  options = parseCliOptions(process.env, argv);
} catch (error) {
  console.error(`vapi:sim: ${(error as Error).message}`);
  process.exit(2);
}

const quiet = process.env.VAPI_SIM_QUIET === '1';
const sim = await startVapiSimulator({
  ...options,
  ...(quiet ? {} : { onEvent: (event, fields) => console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields })) }),
});
console.log(`VAPI simulator listening on ${sim.url} (use it as the tenant's VAPI base URL; any non-empty key works unless VAPI_SIM_API_KEYS is set)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void sim.close().then(() => {
      console.log(JSON.stringify({ event: 'stopped', dials: sim.dials().length, webhooks: sim.webhooksSent.length, faults: sim.faults }));
      process.exit(0);
    });
  });
}
