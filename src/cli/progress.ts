/** Progress bars on stderr (cli-progress); quiet when stderr is not a terminal. */
import cliProgress from 'cli-progress';

/** A bar with a label and optional extra fields (e.g. loss) shown after the count. */
export interface Bar {
  /** Moves to `value` (of a new `total`, when given: a stage whose size grows as it goes). */
  update(value: number, fields?: Record<string, string | number>, total?: number): void;
  stop(): void;
}

/** Starts a bar for `total` steps. `extra` is a template tail like "loss {loss}". */
export function startBar(label: string, total: number, extra = ''): Bar {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(14)} [{bar}] {percentage}% {value}/{total} {eta_formatted}${extra ? ` ${extra}` : ''}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, extraFields(extra));
  return {
    update: (value, fields, newTotal) => {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(value, fields);
    },
    stop: () => bar.stop(),
  };
}

function extraFields(extra: string): Record<string, string> {
  return Object.fromEntries([...extra.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], '-']));
}
