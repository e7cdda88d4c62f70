import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScenarios, repoRoot } from '@traceshop/testing';
import { LABS } from './labs';

const ROOT = repoRoot();

describe('the lab index', () => {
  it('docs/labs/README.md lists every lab of `npm run lab`, in its order, with what it practises and its page', () => {
    const rows = readFileSync(join(ROOT, 'docs/labs/README.md'), 'utf8')
      .split('\n')
      .map((line) => /^\| \[([\w-]+)\]\(([\w-]+\.md)\) \| (.+?) \| /.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, name, page, practise]) => ({ name, page, practise }));
    expect(rows).toEqual(LABS.map((lab) => ({ name: lab.name, page: `${lab.name}.md`, practise: lab.practise })));
    for (const { page } of rows) expect(() => readFileSync(join(ROOT, 'docs/labs', page))).not.toThrow();
  });

  it('has one lab per fault scenario of the flag file', () => {
    const scenarios = listScenarios(join(ROOT, 'flags/traceshop.flagd.json')).map((s) => s.name);
    expect(LABS.map((lab) => lab.scenario).sort()).toEqual([...scenarios].sort());
  });
});
