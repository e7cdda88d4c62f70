import { ALL_APPS } from '@traceshop/testing';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

/** The workspace the images and the compose file package: the nearest folder with nx.json. */
export const root = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${__dirname}`);
    dir = dirname(dir);
  }
  return dir;
})();
export const APPS = ALL_APPS;
export const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** otel/versions.env: the pinned versions the native tool build uses. */
export function versions(): Record<string, string> {
  return Object.fromEntries([...read('otel/versions.env').matchAll(/^\s*([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2].trim()]));
}

// ------------------------------------------------------------------------------ compose

export interface ComposeService {
  image?: string;
  /** Set: started only when a profile is asked for (`docker compose run`, `--profile`), not by `up`. */
  profiles?: string[];
  working_dir?: string;
  build?: { context?: string; dockerfile_inline?: string; args?: Record<string, string>; target?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean; interval?: string; start_period?: string };
  deploy?: { resources?: { limits?: { memory?: string } } };
}

export interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

/**
 * docker-compose.yml as Compose sees it when nothing is set in the shell: YAML merge keys
 * resolved, `${VAR:-default}` replaced by its default, `$$` by `$`, numbers and booleans in
 * the environment as the strings a container gets.
 */
export function loadCompose(text = read('docker-compose.yml')): Compose {
  const raw = parse(text, { merge: true }) as Compose;
  return interpolate(raw) as Compose;
}

/** Every `${...}` in the file that has no default (it would be empty unless the shell sets it). */
export function interpolationsWithoutDefault(text = read('docker-compose.yml')): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) if (!/^[A-Za-z_][A-Za-z0-9_]*:?[-?]/.test(m[1])) found.push(m[0]);
  return found;
}

function interpolate(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name, fallback) => fallback ?? '')
      .replace(/\$\$/g, '$');
  }
  if (Array.isArray(value)) return value.map(interpolate);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v)]));
  return value;
}

/** The environment a service's container gets, every value a string. */
export function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Started by a plain `docker compose up`: in no profile. */
export const isDefault = (service: ComposeService) => !service.profiles?.length;

/** A one-shot job: only in a profile, no published ports; it runs, and exits (`docker compose run`). */
export const isOneShot = (service: ComposeService) => !isDefault(service) && !service.ports?.length;

/** Docker's memory units are binary: 128M is 128 MiB. */
export function bytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(size.trim());
  if (!m) throw new Error(`not a memory size: ${size}`);
  return Number(m[1]) * 1024 ** 'bkmg'.indexOf(m[2].toLowerCase() || 'b');
}

/** `[host_ip:]published:target[/proto]` of a short-syntax port. */
export function parsePort(spec: string): { hostIp?: string; published: number; target: number } {
  const parts = spec.replace(/\/(tcp|udp)$/, '').split(':');
  const target = Number(parts.pop());
  const published = Number(parts.pop() ?? target);
  return { hostIp: parts.pop(), published, target };
}

// ------------------------------------------------------------------------------ Dockerfile

export interface Stage {
  name: string;
  from: string;
  instructions: { keyword: string; args: string }[];
}

/** The Dockerfile's global ARGs and its stages, each with its instructions (continuations joined). */
export function parseDockerfile(text = read('Dockerfile')) {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const kw = keyword.toUpperCase();
    if (kw === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ name: m[2] ?? String(stages.length), from: m[1], instructions: [] });
    } else if (stages.length === 0) {
      if (kw === 'ARG') {
        const [name, value = ''] = args.split('=');
        globalArgs[name] = value;
      }
    } else {
      stages[stages.length - 1].instructions.push({ keyword: kw, args });
    }
  }
  const stage = (name: string) => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`no stage ${name} in the Dockerfile`);
    return found;
  };
  return { globalArgs, stages, stage, final: stages[stages.length - 1] };
}

/** The arguments of a stage's instructions with that keyword. */
export const instructions = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

// ------------------------------------------------------------------------------ what the apps read

/** An app's config schema (apps/<app>/src/config.ts): the variables it validates at start-up. */
export async function configSchemaOf(app: string) {
  const mod = (await import(join(root, 'apps', app, 'src', 'config'))) as {
    configSchema: { shape: Record<string, unknown>; safeParse(env: unknown): { success: boolean; error?: { issues: unknown[] }; data?: Record<string, unknown> } };
  };
  return mod.configSchema;
}

/** TypeScript sources of a folder, specs left out. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) out.push(path);
  }
  return out;
}

/**
 * The variables the telemetry preload reads, from its sources: every OTEL_* and TRACESHOP_* name
 * they mention (`OTEL_TRACES_SAMPLER[_ARG]` counts as both), and FLAGS_FILE (its sampler reads
 * the scenario flags). OTEL_EXPORTER_OTLP_PROTOCOL is read by the SDK's own environment
 * configuration, which the lib hands the rest to.
 */
export function telemetryVariables(): Set<string> {
  const names = new Set(['OTEL_EXPORTER_OTLP_PROTOCOL']);
  for (const file of sources('libs/telemetry/src')) {
    for (const m of read(file).matchAll(/\b((?:OTEL|TRACESHOP)_[A-Z0-9_]*[A-Z0-9]|FLAGS_FILE)\b(\[_ARG\])?/g)) {
      names.add(m[1]);
      if (m[2]) names.add(`${m[1]}_ARG`);
    }
  }
  return names;
}

const CONFIG_READ = /\bconfig(?:Service)?\.get(?:OrThrow)?(?:<[^>]*>)?\(\s*'([A-Z][A-Z0-9_]*)'/g;

/**
 * Variables an app reads through Nest's ConfigService outside its schema: in its own sources and
 * in the lib files it wires in. Nest's modules say what is wired: a lib file counts when the
 * app, or a lib module the app uses, names a class it exports (PostgresModule, which reads
 * PG_POOL_SIZE; MessagingModule, then the AmqpService it provides). Controllers and services
 * only inject what a module provides, so their mentions are not followed.
 */
export function configReadsOf(app: string): Set<string> {
  const libFiles = ['libs/platform/src', 'libs/messaging/src'].flatMap(sources).map((file) => {
    const text = read(file);
    return { text, classes: [...text.matchAll(/export class (\w+)/g)].map((m) => m[1]), isModule: text.includes('@Module(') };
  });
  const appTexts = sources(`apps/${app}/src`).map(read);
  const used = new Set<(typeof libFiles)[number]>();
  const wiring = () => [...appTexts, ...[...used].filter((f) => f.isModule).map((f) => f.text)];
  for (let grew = true; grew; ) {
    grew = false;
    const texts = wiring();
    for (const lib of libFiles) {
      if (used.has(lib) || !lib.classes.some((c) => texts.some((t) => new RegExp(`\\b${c}\\b`).test(t)))) continue;
      used.add(lib);
      grew = true;
    }
  }
  const texts = [...appTexts, ...[...used].map((f) => f.text)];
  return new Set(texts.flatMap((t) => [...t.matchAll(CONFIG_READ)].map((m) => m[1])));
}

/**
 * The variables the k6 scripts read, from their sources (k6/, lib and incidents included): every
 * `__ENV.NAME` and every name handed to lib/config.ts's parsers (`envInt('VUS', 2)`, ...).
 */
export function k6Variables(): Set<string> {
  const names = sources('k6').flatMap((f) => [...read(f).matchAll(/__ENV(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])|\benv(?:Int|Number|Duration)\(\s*'([A-Z][A-Z0-9_]*)'/g)]);
  return new Set(names.map((m) => m[1] ?? m[2] ?? m[3]));
}

/** Variables a container's Node itself reads (not the app): allowed in compose beside the app's. */
export const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];
