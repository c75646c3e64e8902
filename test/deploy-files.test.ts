import fs from 'node:fs';
import path from 'node:path';
import { SETTING_NAMES } from '../src/shared/config';

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const settings = [...SETTING_NAMES];

interface ComposeService {
  name: string;
  usesAppImage: boolean;
  command: string;
  env: string[];
}

/**
 * Just enough of docker-compose.yml for these checks (its layout is ours): the app
 * environment anchor `x-app-env` and, per service, whether it runs the app image, its
 * command and its own `environment` keys.
 */
function parseCompose(text: string): { appEnv: string[]; services: ComposeService[] } {
  const lines = text.split('\n');
  const anchor = lines.findIndex((l) => l.startsWith('x-app-env:'));
  const appEnv: string[] = [];
  for (const line of lines.slice(anchor + 1)) {
    const m = /^ {2}([A-Z][A-Z0-9_]*):/.exec(line);
    if (m) appEnv.push(m[1]!);
    else if (/^\S/.test(line)) break;
  }
  const services: ComposeService[] = [];
  let current: ComposeService | undefined;
  let inEnv = false;
  for (const line of lines.slice(lines.indexOf('services:') + 1)) {
    if (/^\S/.test(line)) break;
    const service = /^ {2}([a-z][\w-]*):\s*$/.exec(line);
    if (service) {
      current = { name: service[1]!, usesAppImage: false, command: '', env: [] };
      services.push(current);
      inEnv = false;
      continue;
    }
    if (!current) continue;
    if (/^ {4}<<: \*app\s*$/.test(line)) current.usesAppImage = true;
    const command = /^ {4}command: (.*)$/.exec(line);
    if (command) current.command = command[1]!;
    if (/^ {4}\S/.test(line)) inEnv = /^ {4}environment:/.test(line);
    const env = inEnv ? /^ {6}([A-Z][A-Z0-9_]*):/.exec(line) : null;
    if (env) current.env.push(env[1]!);
  }
  return { appEnv, services };
}

/** The processes `npm start` supervises, from scripts/start.ts. */
function startedProcesses(): Array<{ name: string; script: string }> {
  // The platform's own processes: the `children` list. The local stand-ins for Google and
  // Flutterwave that start.ts adds without credentials never run in a deployment.
  const text = read('scripts/start.ts');
  const list = text.slice(text.indexOf('const children'), text.indexOf('];', text.indexOf('const children')));
  return [...list.matchAll(/\{ name: '([\w-]+)', script: '([\w/.-]+)' \}/g)].map((m) => ({
    name: m[1]!,
    script: m[2]!,
  }));
}

describe('deploy and configuration files', () => {
  it('when a setting exists in config.ts, then .env.example lists it with a comment, and nothing else', () => {
    const text = read('.env.example');
    const listed = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect([...new Set(listed)].sort()).toEqual(settings);
    for (const name of settings) {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => new RegExp(`^#? ?${name}=`).test(l));
      expect({ name, comment: lines[at - 1]?.startsWith('# ') }).toEqual({ name, comment: true });
    }
  });

  it('when docker-compose.yml configures the app, then it uses exactly the names in config.ts', () => {
    const { appEnv, services } = parseCompose(read('docker-compose.yml'));
    expect([...appEnv, 'MIGRATE_ON_START'].sort()).toEqual(settings);
    for (const s of services.filter((x) => x.usesAppImage)) {
      for (const name of s.env)
        expect({ service: s.name, name, known: settings.includes(name) }).toEqual({
          service: s.name,
          name,
          known: true,
        });
    }
    expect(services.map((s) => s.name)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'rabbitmq', 'web']),
    );
  });

  it('when npm start runs a process, then docker-compose.yml runs its compiled entry too', () => {
    const { services } = parseCompose(read('docker-compose.yml'));
    const processes = startedProcesses();
    // The web process and every worker in workers/ (each folder with a main.ts), none forgotten.
    const workers = fs
      .readdirSync(path.join(root, 'workers'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'workers', d.name, 'main.ts')))
      .map((d) => `workers/${d.name}/main.ts`);
    expect(workers.length).toBeGreaterThanOrEqual(6);
    expect(processes.map((p) => p.script).sort()).toEqual(['src/server.ts', ...workers].sort());
    for (const p of processes) {
      const compiled = `dist/${p.script.replace(/\.ts$/, '.js')}`;
      expect(fs.existsSync(path.join(root, p.script))).toBe(true);
      const service = services.find((s) => s.usesAppImage && s.command.includes(`'${compiled}'`));
      expect({ process: p.name, compiled, service: service?.name ?? 'missing' }).toEqual({
        process: p.name,
        compiled,
        service: expect.not.stringMatching(/^missing$/),
      });
    }
  });

  it('when the image is built, then it is multi-stage, runs as non-root and starts the compiled web process', () => {
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npx prisma generate/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/server\.js"\]$/m);
  });
});
