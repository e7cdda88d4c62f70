import { waitFor } from '@traceshop/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild } from './processes';

/** An answer of the API server: its status and its JSON body. */
export interface ApiAnswer {
  status: number;
  body: { kind?: string; message?: string; resources?: { name: string; kind: string; namespaced: boolean }[] };
}

/** A Kubernetes API server without nodes, and what a test does with it. */
export interface ApiServer {
  call(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Stops the API server and its etcd, and removes their folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts etcd and a kube-apiserver on free ports, in a temporary folder: nothing else of
 * Kubernetes (no scheduler, controllers or nodes), so objects are stored and validated, never run.
 * The API server makes its own self-signed certificate (--cert-dir); the test is a member of
 * system:masters through a token (--token-auth-file). Both processes go when the test's process
 * exits, whatever happened.
 */
export async function startApiServer(binaries: { kubeApiserver: string; etcd: string }): Promise<ApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'traceshop-kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  process.once('exit', killAll);
  const start = (name: string, command: string, args: string[]) => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(command, args, { stdio: ['ignore', log, log] });
    children.push(child);
    return child;
  };
  const stop = async () => {
    process.removeListener('exit', killAll);
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () => ['etcd', 'kube-apiserver'].map((n) => `--- ${n}\n${tail(join(dir, `${n}.log`))}`).join('\n');

  try {
    const peer = `http://127.0.0.1:${peerPort}`;
    start('etcd', binaries.etcd, [
      '--name=deploy-checks',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=deploy-checks=${peer}`,
      '--log-level=warn',
    ]);

    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},deploy-checks,deploy-checks,"system:masters"\n`);
    // Service-account tokens must be signable, though none is issued here.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    writeFileSync(join(dir, 'sa.pub'), publicKey);
    writeFileSync(join(dir, 'sa.key'), privateKey);
    const apiserver = start('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=AlwaysAllow',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ]);

    // Its self-signed certificate (and the CA that signed it) are written at start-up.
    const certFile = join(dir, 'certs', 'apiserver.crt');
    await waitFor(async () => existsSync(certFile) || apiserver.exitCode !== null, Boolean, { timeoutMs: 60_000, what: 'the API server certificate' });
    if (!existsSync(certFile)) throw new Error(`kube-apiserver exited before writing its certificate\n${logs()}`);
    const agent = new Agent({ ca: readFileSync(certFile), keepAlive: false });
    const call = (method: string, path: string, body?: unknown) =>
      new Promise<ApiAnswer>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          { host: '127.0.0.1', port: apiPort, path, method, agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : { message: text } }));
          },
        );
        req.on('error', reject).end(payload);
      });
    await waitFor(() => (apiserver.exitCode === null ? call('GET', '/readyz') : Promise.reject(new Error('kube-apiserver exited'))), (a) => a.status === 200, {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'the API server to be ready',
    }).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${logs()}`)));
    return { call, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
}
