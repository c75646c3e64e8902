#!/usr/bin/env node
// Makes sure PostgreSQL, Redis and RabbitMQ answer on their local ports before the platform or
// the tests start. A stopped service is started; a missing one is installed with apt-get when
// running as root on Debian (CI and fresh machines). Plain Node, no dependencies: it runs
// before `npm ci`. Skipped when SKIP_SERVICE_CHECK=1 or when the URLs point elsewhere.
import { execSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const log = (m) => console.log(`[services] ${m}`);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function hostPort(envName, fallbackPort) {
  const raw = process.env[envName];
  if (!raw) return { host: '127.0.0.1', port: fallbackPort, local: true };
  const u = new URL(raw);
  const host = u.hostname || '127.0.0.1';
  return {
    host,
    port: Number(u.port) || fallbackPort,
    local: ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host),
  };
}

function probe(host, port, timeout = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeout, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitFor(host, port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await probe(host, port, 500)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
let aptUpdated = false;
function aptInstall(pkgs) {
  if (!isRoot || !has('apt-get')) {
    throw new Error(
      `missing ${pkgs.join(', ')}: install them (apt-get install ${pkgs.join(' ')}) or use docker-compose.yml`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update');
    execSync('apt-get update -qq', { stdio: 'inherit', env });
    aptUpdated = true;
  }
  log(`apt-get install ${pkgs.join(' ')}`);
  execSync(`apt-get install -y -qq --no-install-recommends ${pkgs.join(' ')}`, { stdio: 'inherit', env });
}

const services = [
  {
    name: 'PostgreSQL',
    ...hostPort('DATABASE_URL', 5432),
    installed: () => fs.existsSync('/etc/postgresql') && fs.readdirSync('/etc/postgresql').length > 0,
    packages: ['postgresql'],
    start: () => {
      const version = fs.readdirSync('/etc/postgresql').sort().pop();
      execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`, { stdio: 'inherit' });
    },
    afterInstall: () => {
      // Debian's default is peer/md5 auth; local development and tests use trust on loopback.
      const version = fs.readdirSync('/etc/postgresql').sort().pop();
      const hba = `/etc/postgresql/${version}/main/pg_hba.conf`;
      const text = fs.readFileSync(hba, 'utf8');
      if (!text.includes('# ticketing-local-trust')) {
        fs.writeFileSync(
          hba,
          `# ticketing-local-trust\nlocal all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n${text}`,
        );
        // The package may have started the cluster already: make it read the new rules.
        spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'reload'], {
          stdio: 'ignore',
        });
      }
    },
  },
  {
    name: 'Redis',
    ...hostPort('REDIS_URL', 6379),
    installed: () => has('redis-server'),
    packages: ['redis-server'],
    start: () => {
      fs.mkdirSync('/var/lib/redis', { recursive: true });
      fs.mkdirSync('/var/log/redis', { recursive: true });
      execSync(
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
        { stdio: 'inherit' },
      );
    },
  },
  {
    name: 'RabbitMQ',
    ...hostPort('AMQP_URL', 5672),
    installed: () => has('rabbitmq-server'),
    packages: ['rabbitmq-server'],
    // RabbitMQ's default 1,024 open files is used up by a test run's connections (each file of
    // the suite connects a few times); raise it for the server started here when the shell may.
    start: () =>
      execSync('ulimit -n 16384 2>/dev/null || true; exec rabbitmq-server -detached', {
        stdio: 'inherit',
        shell: '/bin/bash',
      }),
    waitSeconds: 90,
  },
];

if (process.env.SKIP_SERVICE_CHECK === '1') process.exit(0);

let failed = false;
for (const s of services) {
  if (await probe(s.host, s.port)) continue;
  if (!s.local) {
    console.error(`[services] ${s.name} is not reachable at ${s.host}:${s.port}`);
    failed = true;
    continue;
  }
  try {
    if (!s.installed()) {
      aptInstall(s.packages);
      s.afterInstall?.();
    }
    log(`starting ${s.name}`);
    try {
      s.start();
    } catch (err) {
      log(`${s.name} start command failed (${err.message}); waiting in case it is already starting`);
    }
    if (!(await waitFor(s.host, s.port, s.waitSeconds ?? 30)))
      throw new Error(`${s.name} did not come up on port ${s.port}`);
    log(`${s.name} is up on ${s.host}:${s.port}`);
  } catch (err) {
    console.error(`[services] ${err.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
