/**
 * Brightness, saturation and hue changes of float pixels, done as sharp's `modulate` does them (the copy
 * test's colour edit): in CIE LCh (D65), lightness times `brightness`, chroma times `saturation`, hue
 * turned by `hue` degrees, clipped back to sRGB. Pure; training's `colour` corruption uses it.
 */

/** How much to change: factors on lightness and chroma, and a hue turn in degrees. */
export interface ColourChange {
  readonly brightness: number;
  readonly saturation: number;
  readonly hue: number;
}

// sRGB primaries to XYZ, and the D65 white they map to (each row's sum).
const WHITE = [0.95047, 1, 1.08883] as const;
const EPSILON = 216 / 24389;
const KAPPA = 24389 / 27;

const toLinear = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const fromLinear = (v: number) => (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
const f = (t: number) => (t > EPSILON ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const fInverse = (t: number) => (t ** 3 > EPSILON ? t ** 3 : (116 * t - 16) / KAPPA);
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** L* of a relative luminance Y in [0, 1]. */
const lightness = (y: number) => 116 * f(y) - 16;

/** One RGB pixel in [0, 1] changed by `m` (`cos`, `sin`: of the hue turn). */
function modulateRgb(r: number, g: number, b: number, m: ColourChange, cos: number, sin: number): number[] {
  const lr = toLinear(r);
  const lg = toLinear(g);
  const lb = toLinear(b);
  const fx = f((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / WHITE[0]);
  const fy = f((0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb) / WHITE[1]);
  const fz = f((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / WHITE[2]);
  const l = (116 * fy - 16) * m.brightness;
  const a0 = 500 * (fx - fy) * m.saturation;
  const b0 = 200 * (fy - fz) * m.saturation;
  const a = a0 * cos - b0 * sin;
  const bb = a0 * sin + b0 * cos;
  const gy = (l + 16) / 116;
  const x = fInverse(gy + a / 500) * WHITE[0];
  const y = fInverse(gy) * WHITE[1];
  const z = fInverse(gy - bb / 200) * WHITE[2];
  return [
    3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
    -0.969266 * x + 1.8760108 * y + 0.041556 * z,
    0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
  ].map((v) => clamp01(fromLinear(v)));
}

/**
 * Writes `src` (floats in [0, 1], `channels` interleaved values a pixel) with its colour changed by `m`
 * into `dst`. A grayscale image (1 channel) takes the brightness change only; a gray RGB pixel stays gray.
 */
export function modulateColour(
  src: Float32Array,
  dst: Float32Array,
  channels: number,
  m: ColourChange,
): void {
  if (channels !== 3) {
    for (let i = 0; i < src.length; i++) {
      const l = lightness(toLinear(src[i] ?? 0)) * m.brightness;
      dst[i] = clamp01(fromLinear(fInverse((l + 16) / 116)));
    }
    return;
  }
  const cos = Math.cos((m.hue * Math.PI) / 180);
  const sin = Math.sin((m.hue * Math.PI) / 180);
  for (let i = 0; i + 2 < src.length; i += 3) {
    const [r, g, b] = modulateRgb(src[i] ?? 0, src[i + 1] ?? 0, src[i + 2] ?? 0, m, cos, sin);
    dst[i] = r ?? 0;
    dst[i + 1] = g ?? 0;
    dst[i + 2] = b ?? 0;
  }
}
