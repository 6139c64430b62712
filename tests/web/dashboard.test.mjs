// The dashboard and the HTML report in a real browser (Debian's headless Chromium through
// playwright-core), the way a person sees them.
//
//   node tests/web/dashboard.test.mjs --percept build/percept --model models/shapes_yolov8.onnx
//        --telemetry tests/data/telemetry_sample.jsonl --out build/web-test [--chromium PATH]
//
// 1. Starts `percept run <synthetic live config> --serve --port 0 --port-file F --token T`.
// 2. Over plain HTTP: the token is enforced, traversal is refused, MJPEG streams frames.
// 3. In Chromium: the charts receive points, every camera's frame loads and then changes, the
//    numbers on the page equal /api/history's snapshot of the same time, "no GPU" without one;
//    screenshot <out>/dashboard.png.
// 4. SIGINT drains percept (exit 0).
// 5. `percept report` on the recorded telemetry, opened from file://: every section, chart
//    points and summary numbers match the JSONL; screenshot <out>/report.png.
// Any missing piece (node module, chromium, binary) fails the test; it never skips.
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../web/package.json'));
const {chromium} = require('playwright-core');

const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ['percept', 'model', 'telemetry', 'out'])
  if (!args[k]) throw new Error(`missing --${k}`);
const chromiumPath = args.chromium || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (scripts/bootstrap.sh installs it)`);
fs.mkdirSync(args.out, {recursive: true});

const TOKEN = 'test-token-' + process.pid;
const deadline = Date.now() + 150_000;  // the whole test; ctest's TIMEOUT is above this
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
function check(cond, what) {
  if (cond) {
    console.log('ok   ' + what);
  } else {
    failures++;
    console.log('FAIL ' + what);
  }
}
async function waitFor(what, fn, timeoutMs = 30_000) {
  const end = Math.min(Date.now() + timeoutMs, deadline);
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

// Raw HTTP on loopback (no URL normalisation, so "/../" reaches the server as written).
function rawGet(port, target, headers = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    s.setTimeout(10_000, () => s.destroy(new Error('timeout ' + target)));
    s.on('connect', () => {
      const h = Object.entries({Host: '127.0.0.1', Connection: 'close', ...headers})
                    .map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`GET ${target} HTTP/1.1\r\n${h}\r\n`);
    });
    s.on('data', (d) => (data = Buffer.concat([data, d])));
    s.on('end', () => {
      const text = data.toString('latin1');
      const status = Number(text.split(' ')[1]);
      const sep = data.indexOf('\r\n\r\n');
      resolve({status, head: text.slice(0, sep), body: data.subarray(sep + 4)});
    });
    s.on('error', reject);
  });
}
const getJson = async (port, p) => JSON.parse((await rawGet(port, p, {Authorization: 'Bearer ' + TOKEN})).body);

// The first `parts` JPEGs of an MJPEG stream.
function mjpegParts(port, target, parts) {
  return new Promise((resolve, reject) => {
    const req = http.get({host: '127.0.0.1', port, path: target, headers: {Authorization: 'Bearer ' + TOKEN}}, (res) => {
      let buf = Buffer.alloc(0);
      res.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const n = buf.toString('latin1').split('--percept-frame\r\n').length - 1;
        if (n > parts) {
          req.destroy();
          resolve({type: res.headers['content-type'], body: buf});
        }
      });
    });
    req.setTimeout(20_000, () => req.destroy(new Error('mjpeg timeout')));
    req.on('error', (e) => (e.code === 'ECONNRESET' ? null : reject(e)));
  });
}

async function dashboard(browser) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'percept-web-'));
  const cfg = path.join(work, 'live.yaml');
  fs.writeFileSync(cfg, `mode: live
cameras:
  - {id: front, source: synthetic, width: 320, height: 240, fps: 10, seed: 1}
  - {id: rear, source: synthetic, width: 320, height: 240, fps: 10, seed: 2}
models:
  - {id: shapes, path: ${JSON.stringify(path.resolve(args.model))}, cameras: [front, rear], max_batch: 2, threads: 1, tracker: bytetrack}
output: {dir: ${JSON.stringify(path.join(work, 'out'))}, jsonl: false, video: false}
telemetry: {interval_s: 0.5}
`);
  const portFile = path.join(work, 'port');
  const proc = spawn(args.percept, ['run', cfg, '--serve', '--port', '0', '--port-file', portFile, '--token', TOKEN],
                     {stdio: ['ignore', 'pipe', 'pipe']});
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r({code, sig})));
  try {
    const port = Number(await waitFor('the port file', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()));
    check(port > 0, `percept serves on port ${port}`);
    await waitFor('the first snapshot', async () => (await rawGet(port, '/api/stats', {Authorization: 'Bearer ' + TOKEN})).status === 200);

    // Plain HTTP: token, traversal, unknown paths, MJPEG.
    check((await rawGet(port, '/api/stats')).status === 401, '/api/stats without the token: 401');
    check((await rawGet(port, '/', {Authorization: 'Bearer nope'})).status === 401, '/ with a wrong token: 401');
    check((await rawGet(port, `/?token=${TOKEN}`)).status === 200, '/?token=… : 200');
    for (const t of ['/assets/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2Fdashboard.js'])
      check((await rawGet(port, t, {Authorization: 'Bearer ' + TOKEN})).status === 400, `${t}: 400`);
    check((await rawGet(port, '/nope', {Authorization: 'Bearer ' + TOKEN})).status === 404, '/nope: 404');
    const mj = await mjpegParts(port, '/api/stream/front.mjpg', 2);
    check(mj.type === 'multipart/x-mixed-replace; boundary=percept-frame', 'MJPEG content type');
    check(mj.body.includes(Buffer.from([0xff, 0xd8, 0xff])), 'MJPEG parts are JPEGs');

    // In the browser.
    const page = await browser.newPage();
    await page.setViewportSize({width: 1400, height: 1300});
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && pageErrors.push(`${r.status()} ${r.url()}`));
    await page.goto(`http://127.0.0.1:${port}/?token=${TOKEN}`);
    await page.waitForFunction(() => Number(document.getElementById('latency-chart').dataset.points || 0) >= 4 &&
                                     Number(document.getElementById('fps-chart').dataset.points || 0) >= 4,
                               null, {timeout: 30_000});
    const charts = await page.evaluate(() => ['latency-chart', 'fps-chart'].map((id) => {
      const c = document.querySelector(`#${id} canvas`);
      return {points: Number(document.getElementById(id).dataset.points), w: c ? c.width : 0, h: c ? c.height : 0};
    }));
    for (const c of charts) check(c.points >= 4 && c.w > 100 && c.h > 100, `chart drawn with ${c.points} points (${c.w}x${c.h})`);

    // Frames: both cameras' images load, then change.
    const frameState = () => page.evaluate(() => [...document.querySelectorAll('#frames figure')].map((f) => {
      const img = f.querySelector('img');
      return {camera: f.dataset.camera, src: img.src, seq: Number(img.dataset.seq), w: img.naturalWidth, done: img.complete};
    }));
    const first = await waitFor('both frames loaded', async () => {
      const s = await frameState();
      return s.length === 2 && s.every((f) => f.done && f.w === 320) && s;
    });
    check(first.map((f) => f.camera).sort().join() === 'front,rear', 'a frame per camera: ' + first.map((f) => f.camera).join(', '));
    const later = await waitFor('frames to change', async () => {
      const s = await frameState();
      return s.length === 2 && s.every((f, i) => f.done && f.w === 320 && f.seq > first[i].seq) && s;
    });
    check(later.every((f, i) => f.src !== first[i].src), 'frame images change (seq ' + first.map((f) => f.seq) + ' -> ' + later.map((f) => f.seq) + ')');

    // Numbers on the page against the snapshot they came from (read in one synchronous go).
    const shown = await page.evaluate(() => {
      const text = (sel) => document.querySelector(sel).textContent;
      const cams = {};
      for (const tr of document.querySelectorAll('#cameras tbody tr')) {
        cams[tr.dataset.camera] = Object.fromEntries([...tr.cells].map((td) => [td.dataset.field, td.textContent]));
      }
      const models = {};
      for (const tr of document.querySelectorAll('#models tbody tr')) {
        models[tr.dataset.model] = Object.fromEntries([...tr.cells].filter((td) => td.dataset.field).map((td) => [td.dataset.field, td.textContent]));
      }
      return {t: Number(document.body.dataset.t), fps: text('#total-fps'), p50: text('#e2e-p50'),
              p99: text('#e2e-p99'), gpu: text('#gpu'), cams, models};
    });
    const history = await getJson(port, '/api/history');
    const snap = history.find((s) => s.t === shown.t);
    check(!!snap, `the page shows snapshot t=${shown.t}, found in /api/history`);
    if (snap) {
      const f = (v, d) => Number(v).toFixed(d);
      check(shown.fps === f(snap.fps, 1), `total FPS ${shown.fps} = ${f(snap.fps, 1)}`);
      if (snap.latency_ms.count) {
        check(shown.p50 === f(snap.latency_ms.p50, 2), `e2e p50 ${shown.p50} = ${f(snap.latency_ms.p50, 2)}`);
        check(shown.p99 === f(snap.latency_ms.p99, 2), `e2e p99 ${shown.p99} = ${f(snap.latency_ms.p99, 2)}`);
      }
      for (const c of snap.cameras) {
        const row = shown.cams[c.id] || {};
        check(row.fps === f(c.fps, 1) && row.frames === String(c.frames_total) &&
              row.drops === String(c.drops_total) && row.deadline_misses === String(c.deadline_misses_total),
              `camera ${c.id}: fps ${row.fps}, frames ${row.frames}, drops ${row.drops}, misses ${row.deadline_misses} match`);
        check(row.source === c.source && row.read_errors === String(c.read_errors_total) &&
              row.reconnects === String(c.reconnects_total),
              `camera ${c.id}: source ${row.source} (${c.source}), read errors ${row.read_errors}, reconnects ${row.reconnects} match`);
      }
      for (const m of snap.models) {
        const row = shown.models[m.id] || {};
        check(row.frames === String(m.frames_total), `model ${m.id}: frames ${row.frames} = ${m.frames_total}`);
        const inf = m.stages_ms.inference;
        if (inf.count) check(row.inference === f(inf.p50, 2), `model ${m.id}: inference p50 ${row.inference} = ${f(inf.p50, 2)}`);
        const sizes = Object.entries(m.batch_sizes).map(([n, c]) => `${n}×${c}`).join('  ');
        check(row.batch_sizes === sizes, `model ${m.id}: batch sizes "${row.batch_sizes}"`);
        // The detector's output lives in a kept buffer: its size in MiB, as in the snapshot.
        check(!!m.buffers && row.buffers.startsWith(f(m.buffers.bytes_in_use / 1048576, 1) + ' MiB (peak ' +
                                                    f(m.buffers.peak_bytes / 1048576, 1) + ')'),
              `model ${m.id}: output buffers "${row.buffers}"`);
        // The detector tracks (tracker: bytetrack): ids handed out, as in the snapshot.
        check(!!m.tracking && row.tracks === String(m.tracking.tracks_total),
              `model ${m.id}: tracks "${row.tracks}" = ${m.tracking && m.tracking.tracks_total}`);
      }
      if (snap.system.gpu === null) check(shown.gpu === 'no GPU', 'no GPU here: the page says "no GPU"');
      else check(shown.gpu !== '–', 'GPU figures shown');
    }
    check(pageErrors.length === 0, 'no errors in the page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
    await page.screenshot({path: path.join(args.out, 'dashboard.png'), fullPage: true});
    console.log('screenshot: ' + path.join(args.out, 'dashboard.png'));

    // Laptop and desktop screens (issue 21: at 1280 px the page scrolled sideways and the
    // tables were cut off): no horizontal scrolling, every table and chart inside its panel.
    for (const [w, h] of [[1280, 800], [1920, 1080]]) {
      await page.setViewportSize({width: w, height: h});
      await page.waitForTimeout(400);  // the charts follow the resize
      const fit = await page.evaluate(() => {
        const over = [];
        for (const el of document.querySelectorAll('main table, main .chart canvas, #frames img')) {
          const panel = el.closest('section').getBoundingClientRect();
          const r = el.getBoundingClientRect();
          if (r.right > panel.right + 0.5 || r.left < panel.left - 0.5)
            over.push(`${el.id || el.parentElement.id || el.tagName} ${Math.round(r.left)}..${Math.round(r.right)} in ${Math.round(panel.left)}..${Math.round(panel.right)}`);
        }
        return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, over};
      });
      check(fit.scroll <= fit.inner, `${w}x${h}: no horizontal scrolling (page ${fit.scroll} px wide)`);
      check(fit.over.length === 0, `${w}x${h}: tables and charts inside their panels` +
            (fit.over.length ? ': ' + fit.over.join('; ') : ''));
      await page.screenshot({path: path.join(args.out, `dashboard-${w}.png`), fullPage: true});
    }
    await page.setViewportSize({width: 1400, height: 1300});

    // A machine with a GPU and a camera missing its deadline: the same page fed a snapshot with
    // NVML figures and misses (this machine may have neither).
    const fake = {...history.at(-1), t: history.at(-1).t + 1000, gpu_usage: 73};
    fake.system = {...fake.system, gpu: {name: 'Test GPU', utilization_percent: 73, memory_utilization_percent: 40,
                                         memory_used_bytes: 2147483648, memory_total_bytes: 8589934592,
                                         temperature_c: 61, power_w: 95, sm_clock_mhz: 1800}};
    fake.cameras = fake.cameras.map((c) => ({...c, deadline_ms: 50, deadline_misses_total: 3}));
    // ... whose deadline controller has stepped down twice (docs/CONTROL.md); the real run
    // above has no controller, and its panel stayed hidden.
    check(await page.evaluate(() => document.getElementById('control-section').hidden),
          'no controller in the run: its panel is hidden');
    const t1 = fake.t - 0.6, t2 = t1;  // two steps in one tick: both shown
    fake.control = {level: 2, steps: 3, state: 'degraded', late_share: 0.0625, p99_ratio: 1.25,
                    restore_wait_s: 10, cpu_s: 0.002, degrades_total: 2, restores_total: 0,
                    actions: [{t: t1, direction: 'degrade', action: 'max_wait', target: 'shapes', from: 'max_wait 500 us',
                               to: 'max_wait 0 us', reason: 'late 9.0% > 5.0% on front', level: 1},
                              {t: t2, direction: 'degrade', action: 'skip', target: 'rear', from: '1 in 1',
                               to: '1 in 2', reason: '<b>late</b> 6.3% > 5.0% on front', level: 2}]};
    await page.route('**/api/stats*', (route) => route.fulfill({json: fake}));
    await page.waitForFunction((t) => document.body.dataset.t === String(t), fake.t, {timeout: 10_000});
    const gpu = await page.evaluate(() => ({head: document.getElementById('gpu').textContent,
                                            details: document.getElementById('gpu-details').textContent,
                                            misses: [...document.querySelectorAll('#cameras td[data-field="deadline_misses"]')]
                                                        .map((td) => [td.textContent, td.className])}));
    check(gpu.head === '73 %', `GPU utilisation in the header: "${gpu.head}"`);
    check(gpu.details.includes('Test GPU') && gpu.details.includes('2048 / 8192 MiB') && gpu.details.includes('61 °C'),
          `GPU memory and temperature: "${gpu.details}"`);
    check(gpu.misses.every(([v, cls]) => v === '3' && cls === 'bad'), 'deadline misses shown, in red');
    const ctl = await page.evaluate(() => ({
      hidden: document.getElementById('control-section').hidden,
      state: document.getElementById('control-state').textContent,
      rows: [...document.querySelectorAll('#control-actions tbody tr')].map((tr) =>
          Object.fromEntries([...tr.cells].map((td) => [td.dataset.field, td.textContent])))}));
    check(!ctl.hidden, 'a run with a controller shows its panel');
    check(ctl.state.startsWith('degraded: step 2 of 3') && ctl.state.includes('late 6.3 %') &&
          ctl.state.includes('2 steps down, 0 back up'), `controller state: "${ctl.state}"`);
    check(ctl.rows.length === 2 && ctl.rows[0].action === 'degrade skip' && ctl.rows[0].target === 'rear' &&
          ctl.rows[0].to === '1 in 2' && ctl.rows[1].action === 'degrade max_wait' && ctl.rows[1].from === 'max_wait 500 us',
          'controller timeline, newest first: ' + JSON.stringify(ctl.rows.map((r) => r.action)));
    check(ctl.rows.length === 2 && ctl.rows[0].reason === '<b>late</b> 6.3% > 5.0% on front',
          'an action\'s words are shown as text, not markup');
    await page.unroute('**/api/stats*');
    await page.close();
  } finally {
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const {code, sig} = await exited;
    clearTimeout(timer);
    check(code === 0, `percept drained on SIGINT (exit ${code}${sig ? ', signal ' + sig : ''})`);
    if (code !== 0 || failures) console.log('--- percept output ---\n' + log);
    fs.rmSync(work, {recursive: true, force: true});
  }
}

async function report(browser) {
  const html = path.join(args.out, 'report.html');
  const r = spawnSync(args.percept, ['report', args.telemetry, '-o', html], {encoding: 'utf8', timeout: 30_000});
  check(r.status === 0, `percept report exits 0 (${(r.stderr || '').trim()})`);
  const snaps = fs.readFileSync(args.telemetry, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const page = await browser.newPage();
  await page.setViewportSize({width: 900, height: 1200});
  await page.goto('file://' + path.resolve(html));
  const got = await page.evaluate(() => {
    const ids = ['summary', 'latency-over-time', 'stage-breakdown', 'latency-histogram', 'fps-per-camera',
                 'gpu-utilisation', 'bottlenecks', 'recommendations'];
    const sections = Object.fromEntries(ids.map((id) => {
      const s = document.getElementById(id);
      const svg = s && s.querySelector('svg');
      const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      return [id, {present: !!s, text: s ? s.textContent : '', w: r.width, h: r.height,
                   polylines: s ? [...s.querySelectorAll('polyline')].map((p) => p.getAttribute('points').trim().split(/\s+/).length) : []}];
    }));
    const binLabels = [...document.querySelectorAll('#latency-histogram svg text')].map((t) => t.textContent)
                          .filter((t) => / - .* ms$/.test(t));
    return {sections, binLabels, scripts: document.scripts.length};
  });
  for (const [id, s] of Object.entries(got.sections)) check(s.present, `report section #${id}`);
  const withLatency = snaps.filter((s) => s.latency_ms.count).length;
  const lat = got.sections['latency-over-time'];
  check(lat.w > 100 && lat.polylines.length === 2 && lat.polylines.every((n) => n === withLatency),
        `latency chart: 2 lines of ${withLatency} points (${lat.polylines})`);
  const fpsSec = got.sections['fps-per-camera'];
  check(fpsSec.polylines.length === snaps[0].cameras.length, `fps chart: a line per camera (${fpsSec.polylines.length})`);
  const last = snaps[snaps.length - 1];
  const mean = (last.latency_ms.total_sum / last.latency_ms.total_count).toFixed(2);
  const summary = got.sections.summary.text;
  check(summary.includes(`${snaps.length} intervals`) && summary.includes(`${last.latency_ms.total_count} frames`) &&
        summary.includes(`mean ${mean} ms`), `report summary matches the JSONL: "${summary.trim()}"`);
  if (snaps.every((s) => s.gpu_usage === null)) check(got.sections['gpu-utilisation'].text.includes('no GPU'), 'report says "no GPU"');
  check(got.binLabels.length >= 1 && new Set(got.binLabels).size === got.binLabels.length,
        `histogram bins have distinct labels: ${JSON.stringify(got.binLabels)}`);
  check(got.scripts === 0, 'the report has no script');
  await page.screenshot({path: path.join(args.out, 'report.png'), fullPage: true});
  console.log('screenshot: ' + path.join(args.out, 'report.png'));
  await page.close();
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'percept-chromium-'));
// A fresh profile each run (Playwright takes it as the persistent context's user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath, headless: true, timeout: 30_000, viewport: {width: 1400, height: 1300},
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--no-first-run', '--disable-dev-shm-usage'],
});
const watchdog = setTimeout(() => {
  console.log('FAIL: the test ran past its time budget');
  process.exit(1);
}, deadline - Date.now());
try {
  await dashboard(browser);
  await report(browser);
} catch (e) {
  failures++;
  console.log('FAIL ' + (e && e.stack || e));
} finally {
  await browser.close();
  clearTimeout(watchdog);
  fs.rmSync(profile, {recursive: true, force: true});
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
