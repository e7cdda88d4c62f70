/**
 * The fault-scenario switch (`npm run scenario`, tools/traceshop.sh):
 *   npm run scenario -- list
 *   npm run scenario -- on slow-checkout
 *   npm run scenario -- on payment-declines=half    (a variant)
 *   npm run scenario -- off slow-checkout      (or: off --all, which also undoes every fix)
 *   npm run scenario -- docs                   (regenerates docs/scenarios.md)
 * `list` shows, beside each fault, whether its fix (`fix.<name>`, applied by `npm run lab -- fix`) is on.
 * It rewrites the flag file the services read: FLAGS_FILE, else flags/traceshop.flagd.json
 * (the file `npm start` and docker compose both use). Services pick the change up within seconds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScenarios, scenarioTable, setScenarios, switchAllOff } from '@traceshop/testing';

const root = join(__dirname, '..');
const file = process.env.FLAGS_FILE ?? join(root, 'flags/traceshop.flagd.json');
const [command, ...args] = process.argv.slice(2);

function list() {
  for (const s of listScenarios(file)) {
    const variants = s.variants.length > 2 ? ` [variants: ${s.variants.join(', ')}]` : '';
    const fix = s.fix ? `fix ${s.fix.on ? 'ON' : 'off'}` : '';
    console.log(`${s.on ? s.variant.toUpperCase().padEnd(4) : 'off '} ${s.name.padEnd(20)} ${fix.padEnd(7)} ${s.breaks}${variants}`);
  }
}

try {
  if (command === 'list' || command === undefined) {
    list();
  } else if (command === 'docs') {
    writeFileSync(join(root, 'docs/scenarios.md'), scenarioTable(join(root, 'flags/traceshop.flagd.json')));
  } else if ((command === 'on' || command === 'off') && args.length > 0) {
    if (command === 'off' && args.includes('--all')) switchAllOff(file); // a clean slate: faults and fixes
    else setScenarios(file, args, command === 'on');
    list();
  } else {
    console.error('usage: scenario list | on <name>... | off <name>... | off --all | docs');
    process.exit(2);
  }
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
