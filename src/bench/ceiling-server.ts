#!/usr/bin/env node
/**
 * The ceiling `npm run load` measures aesearch against: a bare express + multer + sharp server that
 * decodes each upload to the model's input (aesearch's own decode, to side x side unit floats) and answers
 * a fixed JSON, with no model, index, queue or limits. Absolute uploads/s move by a factor of three
 * between machines; a share of this ceiling, measured in the same run on the same uploads, does not.
 * `--workers n` serves from n processes, as aesearch does with `--workers`. Prints `listening on <url>`.
 */
import cluster from 'node:cluster';
import { Command } from 'commander';
import express from 'express';
import multer from 'multer';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../config.js';
import { decodeImage, IDX_FORMAT, toUnitFloat } from '../image/preprocess.js';

interface CeilingFlags {
  port: number;
  workers: number;
}

function serve(port: number): void {
  const app = express();
  const form = multer({ storage: multer.memoryStorage(), limits: { fileSize: DEFAULT_MAX_UPLOAD_BYTES } });
  app.post('/api/search', form.single('image'), async (req, res) => {
    try {
      const input = toUnitFloat(await decodeImage(req.file?.buffer ?? Buffer.alloc(0), IDX_FORMAT));
      res.json({ decoded: input.length });
    } catch (err) {
      res.status(400).json({ error: { code: 'NOT_AN_IMAGE', message: (err as Error).message } });
    }
  });
  const server = app.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}/` : '';
    if (cluster.isWorker) process.send?.(url);
    else process.stderr.write(`listening on ${url}\n`);
  });
}

const flags = new Command()
  .name('ceiling-server')
  .option('--port <n>', 'port (0: any free one)', Number, 0)
  .option('--workers <n>', 'server processes', Number, 1)
  .parse()
  .opts<CeilingFlags>();

if (cluster.isWorker) serve(Number(process.env.CEILING_PORT));
else if (flags.workers <= 1) serve(flags.port);
else {
  // The first worker picks the port; the others share it, as aesearch's workers do.
  const first = cluster.fork({ CEILING_PORT: String(flags.port) });
  const url = await new Promise<string>((resolve) => first.once('message', resolve));
  const port = new URL(url).port;
  for (let i = 1; i < flags.workers; i++) {
    const worker = cluster.fork({ CEILING_PORT: port });
    await new Promise((resolve) => worker.once('message', resolve));
  }
  process.stderr.write(`listening on ${url}\n`);
  process.on('SIGINT', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
}
