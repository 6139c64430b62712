// `percept run` progress on a finite source: plain lines off a terminal, one redrawn bar on a
// terminal (through util-linux `script`, which gives the process a pseudo-terminal), nothing
// with --no-progress.
//   node tests/web/progress.test.mjs --percept build/percept --model models/shapes_yolov8.onnx
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ['percept', 'model']) if (!args[k]) throw new Error(`missing --${k}`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'percept-progress-'));
const cfg = path.join(work, 'c.yaml');
const FRAMES = 40;
fs.writeFileSync(cfg, `mode: lossless
cameras:
  - {id: a, source: synthetic, width: 160, height: 120, frames: ${FRAMES}}
models:
  - {id: shapes, path: ${JSON.stringify(path.resolve(args.model))}, cameras: [a], threads: 1}
output: {dir: ${JSON.stringify(path.join(work, 'out'))}, jsonl: false, video: false}
telemetry: {interval_s: 0.2}
`);
let failures = 0;
const check = (cond, what) => {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures++;
};
const run = (cmd, argv) => spawnSync(cmd, argv, {encoding: 'utf8', timeout: 60_000});

const plain = run(args.percept, ['run', cfg]);
check(plain.status === 0, `plain run exits 0 (${plain.status})`);
const lines = plain.stderr.split('\n').filter((l) => l.startsWith('progress: '));
check(lines.length >= 1, `progress lines on stderr off a terminal: ${JSON.stringify(lines)}`);
check(lines.at(-1) === undefined ? false : lines.at(-1).startsWith(`progress: ${FRAMES}/${FRAMES} frames (100%)`),
      'the last line says every frame is done');
check(!plain.stderr.includes('\r'), 'no carriage returns off a terminal');
// The last figure is the run's FPS (summary.json), not the last interval's.
const summary = JSON.parse(fs.readFileSync(path.join(work, 'out', 'summary.json'), 'utf8'));
const lastFps = lines.length ? Number((lines.at(-1).match(/, ([\d.]+) FPS/) || [])[1]) : NaN;
check(lastFps === Number(summary.fps.toFixed(1)),
      `the last line's FPS is the run's: ${lastFps} vs summary.json ${summary.fps}`);

const quiet = run(args.percept, ['run', cfg, '--no-progress']);
check(quiet.status === 0 && !quiet.stderr.includes('progress'), '--no-progress prints none');

// script -q -e -c CMD LOGFILE: CMD runs on a pseudo-terminal; its output is copied to stdout.
const cmd = [args.percept, 'run', cfg].map((a) => `'${a}'`).join(' ');
const tty = run('script', ['-q', '-e', '-c', cmd, path.join(work, 'typescript')]);
check(tty.status === 0, `run on a terminal exits 0 (${tty.status} ${tty.error || ''})`);
const out = tty.stdout || '';
check(out.includes('\r['), 'the bar is redrawn in place on a terminal');
check(new RegExp(`\\[#{30}\\] ${FRAMES}/${FRAMES} frames 100%`).test(out), 'the bar ends full: 100%');
check(/ETA \d+:\d\d/.test(out) && /FPS/.test(out), 'the bar shows FPS and ETA');
check(!out.includes('progress: '), 'no plain lines on a terminal');

fs.rmSync(work, {recursive: true, force: true});
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
