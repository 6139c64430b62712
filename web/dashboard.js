// percept's live dashboard: polls /api/stats once a second (the telemetry interval) and
// /api/frames for new annotated frames; charts with uPlot (bundled, no CDN). The numbers it
// shows carry the snapshot time they come from (body[data-t]) so tests can match them with
// /api/history.
'use strict';
(() => {
  const KEEP = 600;  // points kept per chart: 10 minutes at 1 Hz
  const token = new URLSearchParams(location.search).get('token');
  const withToken = (url) =>
    token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url;
  const $ = (id) => document.getElementById(id);
  const fmt = (v, digits) => (v === null || v === undefined || Number.isNaN(v)) ? '–'
                                                                                 : Number(v).toFixed(digits);
  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  for (const a of [$('metrics-link'), $('stats-link')]) a.href = withToken(a.getAttribute('href'));

  // Chart data: uPlot's column layout, x in unix seconds.
  const lat = [[], [], []];  // t, p50, p99
  let fpsCams = [];          // camera ids of the fps chart's series
  let fps = [[]];
  let latChart = null, fpsChart = null;
  let lastT = null;

  const chartWidth = (id) => Math.max(300, $(id).clientWidth - 4);
  const axes = [{stroke: '#8a96a3', grid: {stroke: '#2a323a'}},
                {stroke: '#8a96a3', grid: {stroke: '#2a323a'}}];
  const palette = ['#4fc3f7', '#ef5350', '#66bb6a', '#ffb74d', '#ba68c8', '#4db6ac', '#f06292'];

  function makeLatChart() {
    latChart = new uPlot({
      width: chartWidth('latency-chart'), height: 220, axes,
      series: [{}, {label: 'p50', stroke: palette[0], width: 2},
               {label: 'p99', stroke: palette[1], width: 2}],
    }, lat, $('latency-chart'));
  }
  function makeFpsChart() {
    if (fpsChart) fpsChart.destroy();
    fpsChart = new uPlot({
      width: chartWidth('fps-chart'), height: 220, axes,
      series: [{}, ...fpsCams.map((id, i) => ({label: id, stroke: palette[i % palette.length],
                                               width: 2}))],
    }, fps, $('fps-chart'));
  }

  function push(s) {
    noteActions(s);
    if (lastT !== null && s.t <= lastT) return;
    lastT = s.t;
    lat[0].push(s.t);
    lat[1].push(s.latency_ms.count ? s.latency_ms.p50 : null);
    lat[2].push(s.latency_ms.count ? s.latency_ms.p99 : null);
    const ids = s.cameras.map((c) => c.id);
    if (ids.join('\n') !== fpsCams.join('\n')) {  // camera set changed: new series
      fpsCams = ids;
      fps = [[], ...ids.map(() => [])];
      fpsChart = null;
    }
    fps[0].push(s.t);
    s.cameras.forEach((c, i) => fps[i + 1].push(c.fps));
    for (const series of [lat, fps])
      if (series[0].length > KEEP) for (const col of series) col.splice(0, col.length - KEEP);
  }

  function redrawCharts() {
    if (!latChart) makeLatChart(); else latChart.setData(lat);
    if (!fpsChart) makeFpsChart(); else fpsChart.setData(fps);
    $('latency-chart').dataset.points = String(lat[0].length);
    $('fps-chart').dataset.points = String(fps[0].length);
  }

  function showCameras(s) {
    const body = $('cameras').tBodies[0];
    body.replaceChildren(...s.cameras.map((c) => {
      const tr = el('tr', {'data-camera': c.id});
      // source: ok, reconnecting or lost (given up); read errors and reconnects since start.
      const cells = [['id', c.id], ['source', c.source], ['fps', fmt(c.fps, 1)], ['frames', c.frames_total],
                     ['drops', c.drops_total], ['deadline_misses', c.deadline_misses_total],
                     ['read_errors', c.read_errors_total], ['reconnects', c.reconnects_total],
                     ['deadline_ms', c.deadline_ms === null ? 'none' : fmt(c.deadline_ms, 0) + ' ms'],
                     ['p50', c.latency_ms.count ? fmt(c.latency_ms.p50, 2) : '–'],
                     ['p99', c.latency_ms.count ? fmt(c.latency_ms.p99, 2) : '–']];
      for (const [k, v] of cells) {
        const td = el('td', {'data-field': k}, String(v));
        if (['drops', 'deadline_misses', 'read_errors', 'reconnects'].includes(k) && v > 0) td.className = 'bad';
        if (k === 'source' && v !== 'ok') td.className = 'bad';
        tr.append(td);
      }
      return tr;
    }));
  }

  // The model's output buffers kept between runs (absent when its backend keeps none): MiB held
  // now and at the peak, and how many requests the pool's cache could not serve since start
  // (new memory, or a failed attempt; a number that keeps growing means allocations in the
  // frame path).
  function buffersText(b) {
    if (!b) return '–';
    const mib = (v) => fmt(v / 1048576, 1);
    return `${mib(b.bytes_in_use)} MiB (peak ${mib(b.peak_bytes)}) · ${b.cache_misses} allocations`;
  }

  function showModels(s) {
    const stages = ['queue', 'preprocess', 'inference', 'postprocess'];
    const body = $('models').tBodies[0];
    body.replaceChildren(...s.models.map((m) => {
      const tr = el('tr', {'data-model': m.id});
      tr.append(el('td', {'data-field': 'id'}, m.id), el('td', {'data-field': 'frames'}, String(m.frames_total)),
                el('td', {'data-field': 'failed', class: m.failed_total ? 'bad' : ''}, String(m.failed_total)));
      let sum = 0;
      for (const st of stages) {
        const l = m.stages_ms[st];
        tr.append(el('td', {'data-field': st}, l.count ? fmt(l.p50, 2) : '–'));
        sum += l.count ? l.mean : 0;
      }
      const bar = el('div', {class: 'share'});
      for (const st of stages) {
        const l = m.stages_ms[st];
        const w = sum > 0 && l.count ? (100 * l.mean / sum) : 0;
        const span = el('span', {class: 's-' + st, title: `${st} ${fmt(w, 0)}% (mean ${fmt(l.mean, 2)} ms)`});
        span.style.width = w + '%';
        bar.append(span);
      }
      const share = el('td');
      share.append(bar);
      tr.append(share);
      const sizes = Object.entries(m.batch_sizes).map(([n, c]) => `${n}×${c}`).join('  ');
      tr.append(el('td', {'data-field': 'batch_sizes'}, sizes || '–'));
      tr.append(el('td', {'data-field': 'buffers'}, buffersText(m.buffers)));
      // Track ids handed out since start (models with a tracker); refused boxes in the title.
      const t = m.tracking;
      tr.append(el('td', t ? {'data-field': 'tracks', title: `boxes refused: ${t.invalid_boxes_total} invalid, ${t.capped_boxes_total} over max_detections`}
                           : {'data-field': 'tracks'}, t ? String(t.tracks_total) : '–'));
      return tr;
    }));
  }

  // The deadline controller (docs/CONTROL.md), only when the run has one: its state now and a
  // timeline of every action seen (each snapshot carries the actions of its interval; the
  // history and each poll fill the timeline, keyed by time and target so none shows twice).
  const actions = new Map();
  const KEEP_ACTIONS = 200;
  function noteActions(s) {
    if (!s.control) return;
    // Two steps can share a tick (and a millisecond): the level tells them apart.
    for (const a of s.control.actions) actions.set(`${a.t}/${a.target}/${a.direction}/${a.level}`, a);
    if (actions.size > KEEP_ACTIONS) {
      const keys = [...actions.keys()].slice(0, actions.size - KEEP_ACTIONS);
      for (const k of keys) actions.delete(k);
    }
  }
  function showControl(s) {
    const c = s.control;
    $('control-section').hidden = !c;
    if (!c) return;
    const st = $('control-state');
    st.dataset.state = c.state;
    st.className = c.state === 'nominal' ? '' : 'bad';
    st.textContent = `${c.state}: step ${c.level} of ${c.steps} · last window: late ` +
        `${fmt(100 * c.late_share, 1)} %, p99 ${fmt(c.p99_ratio, 2)}× the deadline · ` +
        `${c.degrades_total} steps down, ${c.restores_total} back up · next restore after ` +
        `${fmt(c.restore_wait_s, 1)} s of headroom` + (c.note ? ` · ${c.note}` : '');
    // Newest first; steps of one tick by their level (the later step down has the higher one).
    const rows = [...actions.values()].sort((a, b) => b.t - a.t ||
        (a.direction === 'degrade' ? b.level - a.level : a.level - b.level));
    $('control-actions').tBodies[0].replaceChildren(...rows.map((a) => {
      const tr = el('tr', {'data-t': String(a.t), class: a.direction === 'degrade' ? 'bad' : ''});
      for (const [k, v] of [['time', new Date(a.t * 1000).toLocaleTimeString()],
                            ['action', `${a.direction} ${a.action}`], ['target', a.target],
                            ['from', a.from], ['to', a.to], ['level', String(a.level)],
                            ['reason', a.reason]])
        tr.append(el('td', {'data-field': k}, v));
      return tr;
    }));
  }

  function showSystem(s) {
    $('total-fps').textContent = fmt(s.fps, 1);
    $('e2e-p50').textContent = s.latency_ms.count ? fmt(s.latency_ms.p50, 2) : '–';
    $('e2e-p99').textContent = s.latency_ms.count ? fmt(s.latency_ms.p99, 2) : '–';
    $('cpu').textContent = fmt(s.system.cpu_percent, 0);
    $('rss').textContent = s.system.rss_bytes ? fmt(s.system.rss_bytes / 1048576, 0) : '–';
    const g = s.system.gpu;
    if (!g) {
      $('gpu').textContent = 'no GPU';
      $('gpu-details').textContent = 'no GPU (or no NVML): every GPU figure is null';
      return;
    }
    $('gpu').textContent = g.utilization_percent === null ? '–' : fmt(g.utilization_percent, 0) + ' %';
    const mib = (b) => b === null ? '–' : fmt(b / 1048576, 0);
    $('gpu-details').textContent =
        `${g.name || 'GPU'}: utilisation ${fmt(g.utilization_percent, 0)} %, memory ` +
        `${mib(g.memory_used_bytes)} / ${mib(g.memory_total_bytes)} MiB, ` +
        `temperature ${fmt(g.temperature_c, 0)} °C, power ${fmt(g.power_w, 0)} W, ` +
        `SM clock ${fmt(g.sm_clock_mhz, 0)} MHz`;
  }

  function show(s) {
    document.body.dataset.t = String(s.t);
    showSystem(s);
    showCameras(s);
    showModels(s);
    showControl(s);
    $('updated').textContent = new Date(s.t * 1000).toLocaleTimeString();
  }

  function setStatus(cls, text) {
    const st = $('status');
    st.className = 'status ' + cls;
    st.textContent = text;
  }

  async function getJson(url) {
    const r = await fetch(withToken(url), {cache: 'no-store'});
    if (!r.ok) throw new Error(url + ': ' + r.status);
    return r.json();
  }

  async function pollStats() {
    try {
      const s = await getJson('api/stats');
      // A poll that came late may have missed a snapshot, and with it a controller action:
      // the history has it.
      if (s.control && lastT !== null && s.t - lastT > 1.5 * s.interval_s)
        for (const h of await getJson('api/history')) noteActions(h);
      push(s);
      show(s);
      redrawCharts();
      setStatus('live', 'live');
    } catch (e) {
      setStatus(lastT === null ? 'waiting' : 'down',
                lastT === null ? 'waiting for the first interval…' : 'no answer from percept');
    }
  }

  async function pollFrames() {
    try {
      const list = await getJson('api/frames');
      const box = $('frames');
      for (const c of list.cameras) {
        let fig = box.querySelector(`figure[data-camera="${CSS.escape(c.id)}"]`);
        if (!fig) {
          fig = el('figure', {'data-camera': c.id});
          fig.append(el('img', {alt: 'camera ' + c.id}), el('figcaption', {}, c.id));
          box.append(fig);
        }
        const img = fig.querySelector('img');
        if (img.dataset.seq !== String(c.seq)) {
          img.dataset.seq = String(c.seq);
          img.src = withToken(`api/frames/${encodeURIComponent(c.id)}.jpg?seq=${c.seq}`);
        }
      }
    } catch (e) { /* the stats poll reports the connection */ }
  }

  async function start() {
    try {
      for (const s of await getJson('api/history')) push(s);
      if (lastT !== null) redrawCharts();
    } catch (e) { /* fine: the live poll fills the charts */ }
    pollStats();
    pollFrames();
    setInterval(pollStats, 1000);
    setInterval(pollFrames, 500);
    window.addEventListener('resize', () => {
      if (latChart) latChart.setSize({width: chartWidth('latency-chart'), height: 220});
      if (fpsChart) fpsChart.setSize({width: chartWidth('fps-chart'), height: 220});
    });
  }
  start();
})();
