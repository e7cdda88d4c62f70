import { builtinModules } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, instructions, parseDockerfile, read, root } from './workspace';

const dockerfile = parseDockerfile();
const app = dockerfile.final;
/** The six names of `-p a,b,c` in an `nx run-many -t <target>` command. */
const runMany = (command: string, target: string) => new RegExp(`nx run-many -t ${target} -p (\\S+)`).exec(command)?.[1].split(',').sort();
/** CMD as the array of its exec form; shell form stays a string (and fails the check below). */
const cmd = ((args = instructions(app, 'CMD')[0] ?? '') => {
  try {
    return JSON.parse(args) as string[];
  } catch {
    return args;
  }
})();

describe('Dockerfile', () => {
  it('runs Node of .nvmrc, on its small alpine or slim image, in every stage', () => {
    expect(dockerfile.globalArgs.NODE_VERSION).toBe(read('.nvmrc').trim());
    for (const stage of dockerfile.stages) {
      expect({ stage: stage.name, from: stage.from }).toEqual({ stage: stage.name, from: expect.stringMatching(/^(node:\$\{NODE_VERSION\}-(alpine|slim)|base)$/) });
    }
  });

  it('builds the same Nx target for the same six apps as the tests and the system tests', () => {
    const built = instructions(dockerfile.stage('build'), 'RUN').map((r) => runMany(r, 'build')).find(Boolean);
    expect(built).toEqual([...APPS].sort());
    for (const project of ['tools/deploy-checks', 'apps/system-tests']) {
      const targets = (JSON.parse(read(`${project}/project.json`)) as { targets: Record<string, { dependsOn?: { projects: string[]; target: string }[] }> }).targets;
      const deps = Object.values(targets).flatMap((t) => t.dependsOn ?? []);
      expect(deps).toContainEqual({ projects: expect.arrayContaining(built!), target: 'build' });
    }
  });

  it('puts only production dependencies and the one app build output into the image', () => {
    expect(instructions(dockerfile.stage('deps'), 'RUN').join(' ')).toMatch(/npm (ci|install) --omit=dev/);
    expect(instructions(dockerfile.stage('deps'), 'COPY')).toEqual(['package.json package-lock.json ./']);
    const copies = instructions(app, 'COPY');
    expect(copies).toEqual(['--from=deps /app/node_modules /app/node_modules', '--from=build /app/dist/apps/${APP} ./']);
    expect(instructions(app, 'WORKDIR')).toEqual(['/app/dist/apps/${APP}']);
  });

  it('has every package the build output requires among the production dependencies', () => {
    const { dependencies } = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    for (const name of APPS) {
      for (const file of ['main.js', 'telemetry.js']) {
        const path = join(root, 'dist/apps', name, file);
        expect({ path, built: existsSync(path) }).toEqual({ path, built: true });
        const required = [...read(`dist/apps/${name}/${file}`).matchAll(/\brequire\("([^"./][^"]*)"\)/g)].map((m) => m[1]);
        const packages = required.filter((r) => !builtins.has(r)).map((r) => (r.startsWith('@') ? r.split('/').slice(0, 2) : r.split('/').slice(0, 1)).join('/'));
        expect(packages.length).toBeGreaterThan(0);
        expect({ file: `${name}/${file}`, notProduction: [...new Set(packages)].filter((p) => !(p in dependencies)) }).toEqual({ file: `${name}/${file}`, notProduction: [] });
      }
    }
  });

  it('runs as an unprivileged user', () => {
    const users = instructions(app, 'USER');
    expect(users.length).toBe(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts the service in exec form (node gets SIGTERM, no shell between), the telemetry preload first', () => {
    expect(cmd).toEqual(['node', '--require', './telemetry.js', 'main.js']);
    expect(instructions(app, 'ENTRYPOINT')).toEqual([]);
  });

  it('leaves host installs and builds out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist']));
  });
});
