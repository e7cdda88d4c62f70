import { waitFor } from '@traceshop/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { APPROVED_CARD, newCustomer } from './shop';

const ROOT = join(__dirname, '../../..');
const CHECKOUT = /^gateway\s+POST \/api\/checkout\s+server\s+(\d+)\s/m;

/**
 * `npm run trace -- --stats --interval 5` as a person runs it, piped: one window of the
 * Collector's span metrics. Exit 1 (nothing counted yet, on a stack no test has used) is an answer too.
 */
function stats(): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) =>
    execFile('bash', ['tools/traceshop.sh', 'trace', '--stats', '--interval', '5'], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
      error && !(error.code === 1 && stdout === 'no server or consumer span counted yet\n') ? reject(new Error(`exit ${error.code}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** gateway POST /api/checkout's calls since the Collector started, as --stats prints them (0 before the first). */
const checkouts = (text: string) => Number(CHECKOUT.exec(text)?.[1] ?? 0);

describe('npm run trace -- --stats (RED from the Collector span metrics)', () => {
  it('counts every checkout: gateway POST /api/checkout goes up by at least the checkouts made', async () => {
    const before = checkouts(await stats());
    const { api } = await newCustomer();
    // A product of its own for each: the previous order's event, which takes its lines out of the
    // cart, may arrive after the next line is put in.
    const skus = ['SKU-MUG-001', 'SKU-CAP-001', 'SKU-SOCKS-001'];
    const made = skus.length;
    for (const sku of skus) {
      expect((await api.put(`/api/cart/items/${sku}`, { quantity: 1 })).status).toBe(200);
      const checkout = await api.post('/api/checkout', { payment: APPROVED_CARD });
      expect({ status: checkout.status, body: checkout.body }).toMatchObject({ status: 201 });
    }

    // The connector flushes every 5 s: wait for the window that has them.
    const text = await waitFor(stats, (t) => checkouts(t) >= before + made, { timeoutMs: 60_000, intervalMs: 0, what: `${made} more checkouts in --stats` });

    expect(text).toMatch(/^service\s+operation\s+kind\s+calls\s+req\/s\s+errors\s+p50\s+p95\s+p99$/m);
    // The services behind a checkout have their lines too: what auth serves, what payment consumes.
    expect(text).toMatch(/^auth\s+.+\s+server\s+[1-9]/m);
    expect(text).toMatch(/^payment\s+.+\s+consumer\s+[1-9]/m);
  });
});
