import { BarcodeDetector as ZXingBarcodeDetector, setZXingModuleOverrides } from 'barcode-detector/ponyfill';

/**
 * Camera scanning. The browser's own BarcodeDetector where it has one with QR support
 * (Android Chrome), else the barcode-detector ponyfill (ZXing compiled to WebAssembly). Its
 * wasm is ours, /static/build/zxing_reader.wasm (copied by scripts/build-web.mjs and kept by
 * the service worker for offline use), never the library's CDN default.
 */

interface Detector {
  detect(source: HTMLVideoElement): Promise<Array<{ rawValue: string }>>;
}

export const ZXING_WASM_URL = '/static/build/zxing_reader.wasm';

setZXingModuleOverrides({
  locateFile: (file: string, prefix: string) => (file.endsWith('.wasm') ? ZXING_WASM_URL : prefix + file),
});

async function makeDetector(): Promise<Detector> {
  const Native = (globalThis as { BarcodeDetector?: typeof ZXingBarcodeDetector }).BarcodeDetector;
  if (Native && typeof Native.getSupportedFormats === 'function') {
    try {
      if ((await Native.getSupportedFormats()).includes('qr_code'))
        return new Native({ formats: ['qr_code'] });
    } catch {
      // fall through to the ponyfill
    }
  }
  return new ZXingBarcodeDetector({ formats: ['qr_code'] });
}

export interface Camera {
  start(): Promise<void>;
  stop(): void;
  readonly running: boolean;
}

/**
 * Starts the rear camera into `video` and calls `onCode` with each QR text decoded (as the
 * decoder gives it: never trimmed). Decoding runs every ~120 ms, one frame at a time.
 */
export function createCamera(video: HTMLVideoElement, onCode: (text: string) => void): Camera {
  let stream: MediaStream | null = null;
  let timer: number | undefined;
  let detector: Promise<Detector> | undefined;
  let busy = false;

  const tick = async () => {
    if (!stream || busy || video.readyState < 2) return;
    busy = true;
    try {
      const found = await (await detector!).detect(video);
      const first = found.find((b) => b.rawValue);
      if (first) onCode(first.rawValue);
    } catch {
      // a frame the decoder could not read: try the next one
    } finally {
      busy = false;
    }
  };

  return {
    get running() {
      return stream !== null;
    },
    async start() {
      if (stream) return;
      detector ??= makeDetector();
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      video.srcObject = stream;
      await video.play();
      await detector;
      timer = window.setInterval(() => void tick(), 120);
    },
    stop() {
      window.clearInterval(timer);
      stream?.getTracks().forEach((t) => t.stop());
      stream = null;
      video.srcObject = null;
    },
  };
}
