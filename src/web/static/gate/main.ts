import { createCamera } from './camera';
import { GateApp } from './gate-app';
import { openGateStore } from './store';
import type { Bootstrap, GateCounts, GateData, RevocationItem, ScanType } from './types';
import { createUi } from './ui';

/** The gate page: wires the DOM, the camera, the service worker and Socket.io to GateApp. */

/** After a result, the same code is ignored this long (the camera still sees it), then judged again. */
export const SAME_CODE_QUIET_MS = 3000;

interface SocketLike {
  on(event: string, fn: (...args: never[]) => void): void;
  emit(event: string, data: unknown, ack?: (answer: { ok: boolean }) => void): void;
  connected: boolean;
}
declare const io: ((opts: { transports: string[] }) => SocketLike) | undefined;

async function main(): Promise<void> {
  const root = document.querySelector<HTMLElement>('[data-gate-app]');
  const dataEl = document.getElementById('gate-data');
  if (!root || !dataEl) return;
  const data = JSON.parse(dataEl.textContent ?? '{}') as GateData;
  const ui = createUi(root);
  const store = await openGateStore();
  let socket: SocketLike | undefined;

  const app = new GateApp(data, store, {
    onDecision: (d) => ui.showDecision(d, app.timeZone),
    onState: (s) => ui.showState(s, app.timeZone),
    onBootstrap: (b) => {
      renderGates(b);
      joinRooms(b);
    },
    onCounters: () => void app.counters().then(ui.showCounters),
    onError: (message) => ui.showError(message),
  });
  (window as unknown as { gateApp: GateApp }).gateApp = app;

  // ---- gate choice (a signed-in person picks one; a device has its own) ----
  const select = root.querySelector<HTMLSelectElement>('[data-gate-choice]')!;
  const renderGates = (b: Bootstrap) => {
    const name = root.querySelector('[data-gate-name]')!;
    const gates = b.campaigns.flatMap((c) => c.gates);
    if (data.mode === 'device') {
      name.textContent = [b.gate?.name, b.actor.name].filter(Boolean).join(' · ') || b.actor.name;
      return;
    }
    name.textContent = b.actor.name;
    root.querySelector<HTMLElement>('[data-gate-select]')!.hidden = gates.length === 0;
    const saved = localStorage.getItem('tikiti-gate-id');
    select.replaceChildren(
      new Option('No gate', ''),
      ...gates.map((g) => new Option(g.name, g.id, false, g.id === (app.gateId ?? saved))),
    );
    if (!app.gateId && saved && gates.some((g) => g.id === saved)) app.gateId = saved;
  };
  select.addEventListener('change', () => {
    app.gateId = select.value || null;
    localStorage.setItem('tikiti-gate-id', select.value);
  });

  // ---- entry / exit ----
  const directions = root.querySelectorAll<HTMLButtonElement>('[data-direction]');
  const setDirection = (t: ScanType) => {
    app.type = t;
    root.dataset.direction = t;
    directions.forEach((b) => b.setAttribute('aria-checked', String(b.dataset.direction === t)));
  };
  directions.forEach((b) => b.addEventListener('click', () => setDirection(b.dataset.direction as ScanType)));

  // ---- scanning: camera, manual field, keyboard-wedge scanners ----
  let lastCode = '';
  let lastAt = 0;
  let inFlight: string | undefined;
  const handle = async (code: string) => {
    if (!code || code === inFlight) return;
    if (code === lastCode && Date.now() - lastAt < SAME_CODE_QUIET_MS) return;
    inFlight = code;
    try {
      await app.scan(code);
    } catch (err) {
      ui.showError(`This code could not be checked: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      inFlight = undefined;
      lastCode = code;
      lastAt = Date.now();
    }
  };

  const form = root.querySelector<HTMLFormElement>('[data-manual-form]')!;
  const input = root.querySelector<HTMLInputElement>('[data-manual-input]')!;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // Exactly as typed or scanned: a Base45 code may begin or end with a space.
    const code = input.value;
    input.value = '';
    lastCode = ''; // a person typing the same code again means it
    void handle(code);
  });
  // A wedge scanner "types" the code and Enter into whatever has focus: send its keys to the
  // code field (a space would otherwise press the focused button).
  document.addEventListener('keydown', (e) => {
    if (e.target === input || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    if (e.key.length === 1) {
      e.preventDefault();
      input.value += e.key;
    } else if (e.key === 'Enter' && input.value) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const video = root.querySelector<HTMLVideoElement>('[data-camera-video]')!;
  const camera = createCamera(video, (code) => void handle(code));
  const idle = root.querySelector<HTMLElement>('[data-camera-idle]')!;
  const stopBtn = root.querySelector<HTMLButtonElement>('[data-camera-stop]')!;
  const message = root.querySelector<HTMLElement>('[data-camera-message]')!;
  const startCamera = async () => {
    try {
      await camera.start();
      idle.hidden = true;
      stopBtn.hidden = false;
      root.dataset.camera = 'on';
    } catch (err) {
      camera.stop();
      root.dataset.camera = 'error';
      message.textContent =
        err instanceof DOMException && err.name === 'NotAllowedError'
          ? 'Camera access was refused: allow it in the browser settings, or type the code below.'
          : 'No camera available: type or scan the code below.';
    }
  };
  root.querySelector('[data-camera-start]')!.addEventListener('click', () => {
    ui.unlockAudio();
    void startCamera();
  });
  stopBtn.addEventListener('click', () => {
    camera.stop();
    idle.hidden = false;
    stopBtn.hidden = true;
    root.dataset.camera = 'off';
  });
  document.addEventListener('pointerdown', () => ui.unlockAudio(), { once: true });
  try {
    const p = await navigator.permissions?.query({ name: 'camera' as PermissionName });
    if (p?.state === 'granted') void startCamera();
  } catch {
    // the Permissions API does not know "camera" here: wait for the button
  }

  // ---- live: revocations and gate counts over Socket.io ----
  const joined = new Set<string>();
  const joinRooms = (b: Bootstrap) => {
    if (typeof io !== 'function') return;
    if (!socket) {
      socket = io({ transports: ['websocket', 'polling'] });
      socket.on('connect', () => {
        joined.clear();
        if (app.bootstrap) joinRooms(app.bootstrap);
      });
      socket.on('gate:revocation', (r: RevocationItem & { campaignId: string }) => {
        void app.addPushedRevocation(r.campaignId, r);
      });
      socket.on('gate:counts', (c: GateCounts) => ui.showLiveCounts(c));
    }
    if (!socket.connected) return;
    for (const c of b.campaigns) {
      const key = `${c.id}:${c.socket.token}`;
      if (joined.has(key)) continue;
      joined.add(key);
      socket.emit('gate:join', { campaignId: c.id, token: c.socket.token }, (ack) => {
        if (!ack?.ok) joined.delete(key);
      });
    }
  };

  // ---- the service worker: this page and its files for offline use ----
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker
      .register('/static/build/gate-sw.js', { scope: '/gate' })
      .then(() => navigator.serviceWorker.ready)
      .then(async () => {
        root.dataset.offlineReady = String(Boolean(await caches.match('/gate', { ignoreSearch: true })));
      })
      .catch(() => {
        root.dataset.offlineReady = 'false';
      });
  }

  void app.counters().then(ui.showCounters);
  await app.start();
  root.dataset.ready = 'true';
}

void main();
