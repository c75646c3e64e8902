import { reasonText, time } from './decide';
import type { SyncState } from './gate-app';
import type { Decision, GateCounts } from './types';

/** The gate page's DOM: the result screen, the offline banner, counters and live gate counts. */

const $ = <T extends Element = HTMLElement>(root: ParentNode, sel: string): T => {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`gate page: ${sel} is missing`);
  return el;
};

export function createUi(root: HTMLElement) {
  const result = $(root, '[data-result]');
  const banner = $(root, '[data-offline-banner]');
  const stopped = $(root, '[data-stopped]');
  const sync = $(root, '[data-sync-state]');
  let hideTimer: number | undefined;
  let audio: AudioContext | undefined;

  const beep = (ok: boolean) => {
    try {
      audio ??= new AudioContext();
      const tones = ok ? [880] : [220, 220];
      tones.forEach((hz, i) => {
        const osc = audio!.createOscillator();
        const gain = audio!.createGain();
        osc.frequency.value = hz;
        osc.type = ok ? 'sine' : 'square';
        gain.gain.value = 0.2;
        osc.connect(gain).connect(audio!.destination);
        const at = audio!.currentTime + i * 0.25;
        osc.start(at);
        osc.stop(at + (ok ? 0.15 : 0.2));
      });
    } catch {
      // no audio on this device: the colour and the vibration remain
    }
    navigator.vibrate?.(ok ? 120 : [250, 100, 250]);
  };

  const hideResult = () => {
    window.clearTimeout(hideTimer);
    result.hidden = true;
    root.dataset.showing = '';
  };
  result.addEventListener('click', hideResult);

  return {
    /** Unlocks audio on the first tap (browsers start an AudioContext only after a gesture). */
    unlockAudio() {
      try {
        audio ??= new AudioContext();
        void audio.resume();
      } catch {
        // ignore
      }
    },

    showDecision(d: Decision, timeZone: string | undefined) {
      // Amber: the device decided alone (offline). Green/red: the server's decision.
      const colour = d.offline ? (d.result === 'ok' ? 'amber' : 'red') : d.result === 'ok' ? 'green' : 'red';
      result.dataset.colour = colour;
      result.dataset.resultState = d.result;
      result.dataset.offline = String(d.offline);
      result.dataset.reason = d.reason ?? '';
      result.dataset.scanId = d.scanId;
      const t = d.ticket;
      const isExit = d.type === 'exit';
      $(root, '[data-result-word]').textContent =
        d.result === 'ok' ? (isExit ? 'Exit recorded' : 'Admit') : isExit ? 'Exit refused' : 'Stop';
      $(root, '[data-result-name]').textContent =
        d.result === 'ok'
          ? (t?.holderName ?? (t?.serial ? `Ticket ${String(t.serial).padStart(6, '0')}` : ''))
          : reasonText(d, timeZone);
      $(root, '[data-result-detail]').textContent = [
        d.result !== 'ok' && t?.holderName ? t.holderName : '',
        t?.typeName ?? '',
        t?.seat ?? '',
        t?.serial ? `#${String(t.serial).padStart(6, '0')}` : '',
      ]
        .filter(Boolean)
        .join(' · ');
      $(root, '[data-result-entries]').textContent =
        t && d.result === 'ok' && !isExit
          ? `entry ${t.entriesUsed} of ${t.maxEntries}`
          : t && d.result === 'ok'
            ? `${t.entriesUsed} of ${t.maxEntries} entries in use`
            : '';
      $(root, '[data-result-note]').textContent = d.offline
        ? 'Offline check: entries on other devices are not visible. It will be uploaded.'
        : d.conflict
          ? 'Conflict: the server decided differently'
          : '';
      result.hidden = false;
      root.dataset.showing = colour;
      result.focus({ preventScroll: true });
      beep(d.result === 'ok');
      window.clearTimeout(hideTimer);
      hideTimer = window.setTimeout(hideResult, d.result === 'ok' ? 4000 : 8000);
    },

    hideResult,

    showError(message: string) {
      result.dataset.colour = 'red';
      result.dataset.resultState = 'error';
      result.dataset.offline = 'false';
      result.dataset.reason = '';
      $(root, '[data-result-word]').textContent = 'Not checked';
      $(root, '[data-result-name]').textContent = message;
      for (const sel of ['[data-result-detail]', '[data-result-entries]', '[data-result-note]'])
        $(root, sel).textContent = '';
      result.hidden = false;
      root.dataset.showing = 'red';
      beep(false);
      window.clearTimeout(hideTimer);
      hideTimer = window.setTimeout(hideResult, 8000);
    },

    showState(s: SyncState, timeZone: string | undefined) {
      root.dataset.state = s.kind;
      stopped.hidden = s.kind !== 'stopped';
      if (s.kind === 'stopped') {
        stopped.textContent = s.message;
        hideResult();
      }
      if (s.kind === 'offline') {
        banner.hidden = false;
        const n = s.waiting;
        banner.textContent = `Offline since ${time(s.since, timeZone)}, ${n} scan${n === 1 ? '' : 's'} waiting, entries on other devices not visible`;
      } else if (s.kind === 'uploading') {
        banner.hidden = false;
        banner.textContent = `Back online: uploading ${s.waiting} scan${s.waiting === 1 ? '' : 's'}…`;
      } else {
        banner.hidden = true;
      }
      sync.textContent =
        s.kind === 'online'
          ? `Synced ${time(s.syncedAt, timeZone)}`
          : s.kind === 'offline'
            ? 'Offline: checking on this phone'
            : s.kind === 'uploading'
              ? 'Uploading…'
              : s.kind === 'stopped'
                ? 'Stopped'
                : 'Connecting…';
    },

    showCounters(c: { entries: number; exits: number; refused: number; waiting: number }) {
      for (const [k, v] of Object.entries(c)) $(root, `[data-count="${k}"]`).textContent = String(v);
    },

    showLiveCounts(counts: GateCounts) {
      const box = $(root, '[data-live-counts]');
      box.hidden = false;
      $(root, '[data-live-inside]').textContent = String(counts.totals.inside);
      const row = (name: string, c: { entries: number; exits: number; inside: number }) => {
        const li = document.createElement('li');
        const strong = document.createElement('strong');
        strong.textContent = name;
        const figures = document.createElement('span');
        figures.textContent = `${c.entries} in · ${c.exits} out · ${c.inside} inside`;
        li.append(strong, figures);
        return li;
      };
      $(root, '[data-live-gates]').replaceChildren(...counts.gates.map((g) => row(g.name || 'No gate', g)));
      $(root, '[data-live-types]').replaceChildren(...counts.ticketTypes.map((t) => row(t.name, t)));
    },
  };
}

export type GateUi = ReturnType<typeof createUi>;
