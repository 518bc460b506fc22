/** Writes an eval report to a folder: report.json and the two PNG charts. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { svgToPng } from '../image/svg.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { type EvalReport, precisionChart, robustnessChart } from './report.js';

/** File names inside the output folder. */
export const EVAL_FILES = Object.freeze({
  report: 'report.json',
  precision: 'eval-precision.png',
  robustness: 'eval-robustness.png',
});

/** Writes report.json, eval-precision.png and eval-robustness.png into `outDir`; returns their paths. */
export async function writeEvalOutputs(report: EvalReport, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = [
    join(outDir, EVAL_FILES.report),
    join(outDir, EVAL_FILES.precision),
    join(outDir, EVAL_FILES.robustness),
  ] as const;
  await writeJsonAtomic(files[0], report);
  await writeFileAtomic(files[1], await svgToPng(precisionChart(report)));
  await writeFileAtomic(files[2], await svgToPng(robustnessChart(report)));
  return [...files];
}
