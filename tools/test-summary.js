// Prints the suite's closing line, "N passed, N failed", from dist/test-results/*.json.
// Argument: 1 when a test command failed; if no result file explains that failure (a build
// error, a crash before jest reported), it counts as one failure so the line never lies.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'dist', 'test-results');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
for (const file of files) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  console.log(`  ${r.project}: ${r.passed} passed, ${r.failed} failed`);
}
if (process.argv[2] === '1' && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
