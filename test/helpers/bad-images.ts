/**
 * Odd and broken image files for the hardening tests, made at test time from a dataset item with sharp
 * (no binary fixtures to trust): formats and colour types sharp must cope with, and files it must refuse.
 */
import sharp from 'sharp';
import { withDeclaredSize } from '../../src/bench/fuzz.js';

function gray(px: Uint8Array, side: number) {
  return sharp(Buffer.from(px), { raw: { width: side, height: side, channels: 1 } });
}

/** Valid but unusual encodings of a side x side grayscale item. */
export async function oddImages(px: Uint8Array, side = 28): Promise<Record<string, Buffer>> {
  const inverted = Uint8Array.from(px, (v) => 255 - v);
  const frames = Buffer.concat([Buffer.from(px), Buffer.from(inverted), Buffer.from(inverted)]);
  return {
    'animated GIF (3 frames)': await sharp(frames, {
      raw: { width: side, height: side * 3, channels: 1, pageHeight: side },
    })
      .gif({ loop: 0, delay: [100, 100, 100] })
      .toBuffer(),
    '16-bit PNG': await gray(px, side).toColourspace('rgb16').png().toBuffer(),
    'CMYK JPEG': await gray(px, side).resize(112, 112).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
    'PNG with alpha': await gray(px, side).toColourspace('srgb').ensureAlpha(0.5).png().toBuffer(),
    WebP: await gray(px, side).webp({ lossless: true }).toBuffer(),
  };
}

/** Valid images of extreme shapes: 1 x 1 and 10,000 x 20. */
export async function extremeShapes(): Promise<Record<string, Buffer>> {
  const plain = (width: number, height: number, value: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: value, g: value, b: value } } })
      .png()
      .toBuffer();
  return { '1 x 1': await plain(1, 1, 200), '10,000 x 20': await plain(10_000, 20, 90) };
}

/** A valid 16 x 16 PNG whose header declares width x height pixels (a decompression bomb's header). */
export async function declaredSizePng(width: number, height: number): Promise<Buffer> {
  const small = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  return Buffer.from(withDeclaredSize(small, width, height));
}

/** A JPEG of the item, upscaled (so there is something to cut). */
export function jpegOf(px: Uint8Array, side = 28): Promise<Buffer> {
  return gray(px, side).resize(224, 224).jpeg({ quality: 90 }).toBuffer();
}
