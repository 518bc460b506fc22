/**
 * Training throughput on wasm with stock kernels against aesearch's kernels, plus the kernels that take
 * the time. Run: `node --import tsx src/bench/kernels.ts [dense|conv|vae|denoise ...]`.
 * Prints numbers only; nothing here asserts a speed.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels, unregisterWasmKernels, WASM_KERNEL_NAMES } from '../tfjs/kernels/index.js';
import {
  convWorkload,
  denoisingWorkload,
  denseWorkload,
  vaeWorkload,
  type Workload,
} from './kernel-models.js';
import { type KernelTiming, startKernelTimers } from './kernel-timer.js';

const MEASURE_MS = 2000;
const MIN_STEPS = 3;
const WARMUP_STEPS = 2;
const TOP_KERNELS = 6;

interface Mode {
  readonly label: string;
  /** Kernels of ours to register; the rest stay stock. */
  readonly kernels: readonly string[];
}

const STOCK: Mode = { label: 'stock', kernels: [] };
const OURS: Mode = { label: 'aesearch', kernels: WASM_KERNEL_NAMES };
const STOCK_PLUS_FILTER: Mode = { label: 'stock+BackpropFilter', kernels: ['Conv2DBackpropFilter'] };

interface Measurement {
  readonly imagesPerSec: number;
  readonly msPerStep: number;
  /** Images per second of this process's CPU time: what an idle core would give, despite other load. */
  readonly cpuImagesPerSec: number;
  readonly top: KernelTiming[];
  readonly kernelMsPerStep: number;
  readonly steps: number;
}

function useMode(mode: Mode): void {
  registerWasmKernels();
  unregisterWasmKernels(WASM_KERNEL_NAMES.filter((k) => !mode.kernels.includes(k)));
}

async function measure(make: () => Workload, mode: Mode): Promise<Measurement> {
  useMode(mode);
  const workload = make();
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) await workload.step();
    // The median step, not the mean: other processes on a 2-core machine make some steps much slower.
    const stepMs: number[] = [];
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    while (stepMs.length < MIN_STEPS || performance.now() - start < MEASURE_MS) {
      const t0 = performance.now();
      await workload.step();
      stepMs.push(performance.now() - t0);
    }
    const median = stepMs.sort((a, b) => a - b)[Math.floor(stepMs.length / 2)] ?? Number.NaN;
    const steps = stepMs.length;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
    const timers = startKernelTimers('wasm');
    const timedSteps = Math.max(MIN_STEPS, Math.min(steps, 10));
    for (let i = 0; i < timedSteps; i++) await workload.step();
    const top = timers.stop();
    const kernelMs = top.reduce((s, t) => s + t.totalMs, 0);
    return {
      imagesPerSec: (workload.batchSize * 1000) / median,
      msPerStep: median,
      cpuImagesPerSec: (workload.batchSize * 1000) / cpuMsPerStep,
      top: top
        .slice(0, TOP_KERNELS)
        .map((t) => ({ ...t, totalMs: t.totalMs / timedSteps, calls: t.calls / timedSteps })),
      kernelMsPerStep: kernelMs / timedSteps,
      steps,
    };
  } finally {
    workload.dispose();
  }
}

function formatTop(m: Measurement): string {
  return m.top
    .map(
      (t) =>
        `    ${t.kernelName.padEnd(24)} ${t.totalMs.toFixed(2).padStart(8)} ms/step  ${t.calls.toFixed(0).padStart(3)} calls`,
    )
    .join('\n');
}

function report(name: string, mode: Mode, m: Measurement | Error): void {
  const label = `${name.padEnd(20)} ${mode.label.padEnd(22)}`;
  if (m instanceof Error) {
    console.log(`${label} cannot train: ${m.message.split('\n')[0]}`);
    return;
  }
  console.log(
    `${label} ${m.imagesPerSec.toFixed(0).padStart(7)} img/s (${m.cpuImagesPerSec.toFixed(0)} per CPU-s)  ` +
      `${m.msPerStep.toFixed(1).padStart(7)} ms/step median of ${m.steps}; kernels ${m.kernelMsPerStep.toFixed(1)} ms/step`,
  );
  console.log(formatTop(m));
}

interface Entry {
  readonly label: string;
  readonly make: () => Workload;
  readonly modes: Mode[];
}

const WORKLOADS: Record<string, Entry[]> = {
  dense: [
    { label: 'dense AE b64', make: () => denseWorkload(64), modes: [STOCK, OURS] },
    { label: 'dense AE b256', make: () => denseWorkload(256), modes: [STOCK, OURS] },
  ],
  conv: [{ label: 'conv AE b64', make: () => convWorkload(64), modes: [STOCK, STOCK_PLUS_FILTER, OURS] }],
  vae: [{ label: 'VAE b64', make: () => vaeWorkload(64), modes: [STOCK, OURS] }],
  denoise: [{ label: 'denoising AE b64', make: () => denoisingWorkload(64), modes: [STOCK, OURS] }],
};

async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const names = chosen.length > 0 ? chosen : Object.keys(WORKLOADS);
  if (!(await tf.setBackend('wasm'))) throw new Error('The wasm backend failed to initialise');
  console.log(
    `tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, aesearch kernels: ${WASM_KERNEL_NAMES.join(', ')}`,
  );
  const load = loadavg().map((l) => l.toFixed(1));
  console.log(`load average ${load.join(' ')} (figures are comparable only on an otherwise idle machine)`);
  for (const name of names) {
    const entries = WORKLOADS[name];
    if (!entries)
      throw new Error(`Unknown workload "${name}"; expected one of ${Object.keys(WORKLOADS).join(', ')}`);
    for (const { label, make, modes } of entries) {
      for (const mode of modes) {
        const result = await measure(make, mode).catch((e: unknown) =>
          e instanceof Error ? e : new Error(String(e)),
        );
        report(label, mode, result);
      }
    }
  }
  registerWasmKernels();
}

await main();
