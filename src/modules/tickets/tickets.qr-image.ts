import QRCode from 'qrcode';
import { QR_ERROR_CORRECTION } from './tickets.qr';

/**
 * A ticket's QR code as an SVG data URI for <img src>, made on the server: no script and no
 * CDN, and the page's CSP already allows data: images. The same segments and error correction
 * as the PDF (alphanumeric Base45, level M), with the standard four-module quiet zone so a
 * scanner finds the code on a phone screen whatever surrounds it.
 */
export async function qrSvgDataUri(qrText: string): Promise<string> {
  const svg = await QRCode.toString([{ data: qrText, mode: 'alphanumeric' }], {
    type: 'svg',
    errorCorrectionLevel: QR_ERROR_CORRECTION,
    margin: 4,
    color: { dark: '#000000', light: '#ffffff' },
  });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
