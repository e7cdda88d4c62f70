// A jest reporter that writes each project's counts to dist/test-results/<project>.json, so
// tools/test-summary.js can print one "N passed, N failed" line for the whole suite.
const fs = require('node:fs');
const path = require('node:path');

class ResultsReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(contexts, results) {
    const project = [...contexts][0]?.config.displayName?.name ?? path.basename(this.globalConfig.rootDir);
    // A suite that failed to run (compile error, failing beforeAll) counts as a failed test.
    const brokenSuites = results.testResults.filter((r) => r.testExecError || (r.failureMessage && r.numFailingTests === 0)).length;
    const dir = path.join(__dirname, '..', 'dist', 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, `${project}.json`),
      JSON.stringify({ project, passed: results.numPassedTests, failed: results.numFailedTests + brokenSuites }),
    );
  }
}

module.exports = ResultsReporter;
