/** Rasterises SVG documents (the eval's charts) to PNG with sharp's librsvg. */
import sharp from 'sharp';

/** Renders `svg` to PNG at `density` dpi (72 is the SVG's own pixel size; 144 doubles it for sharp text). */
export async function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png({ compressionLevel: 9 }).toBuffer();
}
