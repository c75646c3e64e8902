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

/*
 * RabbitMQ's default 1,024 open files is used up by a test run's connections (each file of the
 * suite connects a few times), so a server started here gets RABBITMQ_OPEN_FILES. Raising the
 * limit in the calling shell is not enough: run as root, Debian's rabbitmq-server wrapper
 * switches to the rabbitmq user with `su`, whose PAM session (pam_limits) resets the soft limit
 * to 1,024 (the hard limit survives). So root raises the hard limit and starts the server as
 * the rabbitmq user itself, raising the soft limit inside that shell; the wrapper, run as
 * rabbitmq, then starts the server directly.
 */
const RABBITMQ_OPEN_FILES = 16384;
/** Below this a test run can exhaust RabbitMQ's sockets (a warning, not a failure). */
const RABBITMQ_MIN_OPEN_FILES = 4096;

function startRabbitMq() {
  const limit = `ulimit -Hn ${RABBITMQ_OPEN_FILES} 2>/dev/null; ulimit -n ${RABBITMQ_OPEN_FILES} 2>/dev/null`;
  const asRabbitmq =
    isRoot && spawnSync('id', ['-u', 'rabbitmq'], { stdio: 'ignore' }).status === 0
      ? `su rabbitmq -s /bin/sh -c 'cd /var/lib/rabbitmq 2>/dev/null; ${limit}; exec rabbitmq-server -detached'`
      : 'exec rabbitmq-server -detached';
  execSync(`${limit}; ${asRabbitmq}`, { stdio: 'inherit', shell: '/bin/bash' });
}

/** RabbitMQ's own view of its open-file limit (`rabbitmqctl status`), or null if it cannot tell. */
function rabbitMqFileLimit() {
  const r = spawnSync('rabbitmqctl', ['-q', 'status', '--formatter', 'json'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout).file_descriptors?.total_limit ?? null;
  } catch {
    return null;
  }
}

/** Warns (never restarts anything) when RabbitMQ may run out of file descriptors. */
async function checkRabbitMqFileLimit(which) {
  // A node just started answers on its port a moment before `rabbitmqctl status` does.
  let limit = null;
  for (let i = 0; i < 10 && limit === null; i++) {
    limit = rabbitMqFileLimit();
    if (limit === null) await new Promise((r) => setTimeout(r, 1000));
  }
  if (limit === null) {
    if (has('rabbitmqctl')) log(`could not read the open-file limit of ${which} (rabbitmqctl status)`);
    return;
  }
  if (limit >= RABBITMQ_MIN_OPEN_FILES) {
    log(`RabbitMQ open-file limit: ${limit}`);
    return;
  }
  console.warn(
    `[services] WARNING: ${which} may open only ${limit} files (rabbitmqctl status); a test run can ` +
      'use them up (connections then time out with "channel acquisition timed out"). Raise it: add ' +
      `\`ulimit -n ${RABBITMQ_OPEN_FILES}\` to /etc/default/rabbitmq-server and restart it with ` +
      '`service rabbitmq-server restart` (systemd: LimitNOFILE in the unit), or stop it and let this ' +
      'script start it.',
  );
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
    start: startRabbitMq,
    waitSeconds: 90,
    afterStart: () => checkRabbitMqFileLimit('the RabbitMQ started here'),
    whenRunning: () => checkRabbitMqFileLimit('the running RabbitMQ'),
  },
];

if (process.env.SKIP_SERVICE_CHECK === '1') process.exit(0);

let failed = false;
for (const s of services) {
  if (await probe(s.host, s.port)) {
    if (s.local) await s.whenRunning?.();
    continue;
  }
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
    await s.afterStart?.();
  } catch (err) {
    console.error(`[services] ${err.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
