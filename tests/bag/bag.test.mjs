// Bags recorded by `percept run` (output.bag, docs/ROS2.md "Recording"), read back by an
// independent reader: Foxglove's @mcap/core (records, chunks, CRCs, indexes) and
// @foxglove/rosmsg2-serialization (CDR decoded from the ros2msg schema text in the file).
//   node tests/bag/bag.test.mjs --percept build/percept --models models --case record [--compression zstd]
//   ... --case crash      SIGKILL mid-run, then the streaming reader (no summary)
//   ... --case dev-full   every write fails: counted errors, the run goes on
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const {McapIndexedReader, McapStreamReader} = require('@mcap/core');
const {MessageReader} = require('@foxglove/rosmsg2-serialization');
const {parse: parseMsg} = require('@foxglove/rosmsg');
const fzstd = require('fzstd');
const lz4 = require('lz4js');
const {crc32} = require('@foxglove/crc');

const args = Object.fromEntries(process.argv.slice(2).reduce(
    (acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ['percept', 'models', 'case']) if (!args[k]) throw new Error(`missing --${k}`);
const compression = args.compression || 'none';

let failures = 0;
const check = (cond, what) => {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failures++;
};

const decompressHandlers = {
  zstd: (buf, size) => fzstd.decompress(buf, new Uint8Array(Number(size))),
  lz4: (buf) => Uint8Array.from(lz4.decompress(buf)),
};

const FRAMES = 12;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'percept-bag-'));
const out = path.join(work, 'out');
const bagPath = args.case === 'dev-full' ? '/dev/full' : path.join(out, 'rec', 'run.mcap');
const model = (name) => JSON.stringify(path.resolve(args.models, name));
const live = args.case === 'crash';
const config = `mode: ${live ? 'live' : 'lossless'}
cameras:
  - {id: a, source: synthetic, width: 160, height: 120, frames: ${live ? -1 : FRAMES}, fps: 30,
     frame_id: a_optical, intrinsics: {fx: 150, fy: 150, cx: 80, cy: 60}}
  - {id: b, source: synthetic, width: 128, height: 96, frames: ${live ? -1 : FRAMES}, fps: 30, seed: 5}
models:
  - {id: det, path: ${model('shapes_yolov8.onnx')}, threads: 1}
  - {id: depth, path: ${model('scene_depth.onnx')}, threads: 1, cameras: [a]}
output:
  dir: ${JSON.stringify(out)}
  jsonl: true
  video: false
  bag: {path: ${JSON.stringify(bagPath)}, compression: ${compression}, images: true,
        chunk_mib: 0.05, chunk_s: 0.2}
`;
const cfg = path.join(work, 'c.yaml');
fs.writeFileSync(cfg, config);

// What percept publishes for this config (docs/ROS2.md), and the ROS 2 type of each topic.
const expectedTopics = {
  '/percept/a/image_raw': 'sensor_msgs/msg/Image',
  '/percept/a/camera_info': 'sensor_msgs/msg/CameraInfo',
  '/percept/a/det/detections': 'vision_msgs/msg/Detection2DArray',
  '/percept/a/det/detections_3d': 'vision_msgs/msg/Detection3DArray',
  '/percept/a/depth/depth': 'sensor_msgs/msg/Image',
  '/percept/b/image_raw': 'sensor_msgs/msg/Image',
  '/percept/b/det/detections': 'vision_msgs/msg/Detection2DArray',
};

const readers = new Map();  // schema id -> MessageReader
function decoderFor(schema) {
  if (!readers.has(schema.id)) {
    const text = new TextDecoder().decode(schema.data);
    readers.set(schema.id, new MessageReader(parseMsg(text, {ros2: true})));
  }
  return readers.get(schema.id);
}

// Decodes one message and checks what every message must say; returns the decoded message.
function checkMessage(msg, channel, schema, problems) {
  let m;
  try {
    m = decoderFor(schema).readMessage(msg.data);
  } catch (e) {
    problems.push(`${channel.topic}: does not decode: ${e.message}`);
    return undefined;
  }
  const stamp = BigInt(m.header.stamp.sec) * 1000000000n + BigInt(m.header.stamp.nanosec);
  if (stamp !== msg.logTime || msg.publishTime !== msg.logTime)
    problems.push(`${channel.topic}: header.stamp ${stamp}, log_time ${msg.logTime}, publish_time ${msg.publishTime}`);
  const cam = channel.topic.split('/')[2];
  const frameId = cam === 'a' ? 'a_optical' : cam;
  if (m.header.frame_id !== frameId) problems.push(`${channel.topic}: frame_id '${m.header.frame_id}'`);
  if (schema.name === 'sensor_msgs/msg/Image') {
    const w = cam === 'a' ? 160 : 128, h = cam === 'a' ? 120 : 96;
    const enc = channel.topic.endsWith('/depth') ? '32FC1' : 'bgr8';
    if (m.width !== w || m.height !== h || m.encoding !== enc || m.data.length !== m.step * m.height)
      problems.push(`${channel.topic}: image ${m.width}x${m.height} ${m.encoding} step ${m.step} ` +
                    `data ${m.data.length}`);
  }
  if (schema.name === 'sensor_msgs/msg/CameraInfo') {  // camera a: intrinsics 150, 150, 80, 60
    const k = Array.from(m.k);
    if (m.width !== 160 || m.height !== 120 || m.distortion_model !== 'plumb_bob' ||
        JSON.stringify(k) !== JSON.stringify([150, 0, 80, 0, 150, 60, 0, 0, 1]))
      problems.push(`${channel.topic}: ${m.width}x${m.height} ${m.distortion_model} K ${k}`);
  }
  return m;
}

function checkChannels(channels, schemas, what) {
  const topics = [...channels.values()].map((c) => c.topic).sort();
  check(JSON.stringify(topics) === JSON.stringify(Object.keys(expectedTopics).sort()),
        `${what}: the channels are the published topics: ${topics.join(' ')}`);
  for (const c of channels.values()) {
    const s = schemas.get(c.schemaId);
    check(s && s.encoding === 'ros2msg' && s.name === expectedTopics[c.topic],
          `${what}: ${c.topic} schema ${s && s.name} (${s && s.encoding})`);
    check(c.messageEncoding === 'cdr', `${what}: ${c.topic} message encoding ${c.messageEncoding}`);
    check(c.metadata.has('offered_qos_profiles') &&
          /^RIHS01_[0-9a-f]{64}$/.test(c.metadata.get('topic_type_hash') || ''),
          `${what}: ${c.topic} metadata offered_qos_profiles, topic_type_hash`);
  }
}

// The whole file through the streaming reader (no summary needed): every record parsed, chunk
// CRCs checked. Returns the messages and whether the reader reached the end magic.
function streamRead(bytes) {
  const reader = new McapStreamReader({decompressHandlers, validateCrcs: true});
  reader.append(bytes);
  const channels = new Map(), schemas = new Map(), messages = [];
  let header, footer, record;
  while ((record = reader.nextRecord()) !== undefined) {
    if (record.type === 'Header') header = record;
    if (record.type === 'Schema') schemas.set(record.id, record);
    if (record.type === 'Channel') channels.set(record.id, record);
    if (record.type === 'Message') messages.push(record);
    if (record.type === 'Footer') footer = record;
  }
  return {header, footer, channels, schemas, messages, done: reader.done(),
          remaining: reader.bytesRemaining()};
}

function runPercept(extra = []) {
  return spawnSync(args.percept, ['run', cfg, '--no-progress', ...extra],
                   {encoding: 'utf8', timeout: 120_000});
}

function jsonlLines(cam, modelId) {
  const file = path.join(out, 'detections.jsonl');
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((j) => j.camera === cam && j.model === modelId);
}

async function caseRecord() {
  const r = runPercept();
  check(r.status === 0, `percept run exits 0 (${r.status}) ${r.status ? r.stderr.slice(-2000) : ''}`);
  const bytes = fs.readFileSync(bagPath);
  const readable = {
    size: async () => BigInt(bytes.length),
    read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
  };
  // The summary / index path.
  const reader = await McapIndexedReader.Initialize({readable, decompressHandlers});
  check(reader.header.profile === 'ros2', `header profile '${reader.header.profile}'`);
  check(reader.chunkIndexes.length >= 2, `${reader.chunkIndexes.length} chunks (chunk_mib 0.05)`);
  const want = compression === 'none' ? '' : compression;
  check(reader.chunkIndexes.every((c) => c.compression === want),
        `every chunk's compression is '${want}'`);
  check(reader.chunkIndexes.every((c) => c.messageIndexLength > 0n), 'every chunk has message indexes');
  checkChannels(reader.channelsById, reader.schemasById, 'summary');
  check(reader.dataSectionCrc === crc32(bytes.subarray(0, Number(reader.dataEndOffset))),
        `the data section's CRC (${reader.dataSectionCrc}) matches its bytes`);
  const counts = {}, problems = [], byTopic = {};
  let last = 0n, ordered = true;
  for await (const msg of reader.readMessages({validateCrcs: true})) {
    const channel = reader.channelsById.get(msg.channelId);
    const schema = reader.schemasById.get(channel.schemaId);
    counts[channel.topic] = (counts[channel.topic] || 0) + 1;
    if (msg.logTime < last) ordered = false;
    last = msg.logTime;
    const m = checkMessage(msg, channel, schema, problems);
    (byTopic[channel.topic] ||= []).push(m);
  }
  check(ordered, 'messages come in log time order through the index');
  check(problems.length === 0, `every message decodes, stamps = log_time: ${problems.slice(0, 5).join('; ')}`);
  for (const topic of Object.keys(expectedTopics))
    check(counts[topic] === FRAMES, `${topic}: ${counts[topic]} messages, ${FRAMES} frames`);
  const stats = reader.statistics;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  check(stats && stats.messageCount === BigInt(total), `statistics: ${stats && stats.messageCount} messages`);
  for (const [id, c] of reader.channelsById)
    check(stats.channelMessageCounts.get(id) === BigInt(counts[c.topic] || 0),
          `statistics: ${c.topic} count ${stats.channelMessageCounts.get(id)}`);
  // The same results as detections.jsonl (the jsonl sink saw the same frames).
  for (const cam of ['a', 'b']) {
    const lines = jsonlLines(cam, 'det');
    const msgs = byTopic[`/percept/${cam}/det/detections`] || [];
    check(lines.length === msgs.length, `${cam}: ${lines.length} jsonl lines, ${msgs.length} messages`);
    let same = lines.length > 0, boxes = 0;
    for (let i = 0; i < Math.min(lines.length, msgs.length); ++i) {
      const dets = lines[i].detections || [];
      const ds = msgs[i] ? msgs[i].detections : [];
      if (dets.length !== ds.length) same = false;
      boxes += ds.length;
      for (let k = 0; k < Math.min(dets.length, ds.length); ++k) {
        const label = ds[k].results[0].hypothesis.class_id;
        if (label !== dets[k].label) same = false;
        if (Math.abs(ds[k].results[0].hypothesis.score - dets[k].score) > 1e-3) same = false;
      }
    }
    check(same && boxes > 0, `${cam}: every message holds the jsonl line's detections (${boxes} boxes)`);
  }
  // The streaming path over the same file.
  const s = streamRead(bytes);
  check(s.footer !== undefined && s.done, 'streaming reader: reaches the footer and the end magic');
  check(s.messages.length === total, `streaming reader: ${s.messages.length} messages`);
  checkChannels(s.channels, s.schemas, 'stream');
}

async function caseCrash() {
  const child = spawn(args.percept, ['run', cfg, '--no-progress'], {stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Wait for a few chunks on disk (chunk_s 0.2), then kill without warning.
  const start = Date.now();
  let size = 0;
  while (Date.now() - start < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    size = fs.existsSync(bagPath) ? fs.statSync(bagPath).size : 0;
    if (size > 200_000 && Date.now() - start > 2000) break;
    if (child.exitCode !== null) break;
  }
  check(child.exitCode === null, `percept still running before the kill ${stderr.slice(-1500)}`);
  child.kill('SIGKILL');
  const code = await exited;
  check(code === null, 'percept died by SIGKILL');
  const bytes = fs.readFileSync(bagPath);
  check(bytes.length > 0, `the cut bag holds ${bytes.length} bytes`);
  // No summary: the indexed reader must refuse it (the file really was cut) ...
  let refused = false;
  try {
    await McapIndexedReader.Initialize({readable: {
      size: async () => BigInt(bytes.length),
      read: async (o, n) => bytes.subarray(Number(o), Number(o + n)),
    }, decompressHandlers});
  } catch (e) {
    refused = true;
  }
  check(refused, 'the cut bag has no footer (the indexed reader refuses it)');
  // ... and the streaming reader reads every whole chunk.
  let s;
  try {
    s = streamRead(bytes);
  } catch (e) {
    check(false, `streaming reader: ${e.message}`);
    return;
  }
  check(s.header && s.header.profile === 'ros2', 'streaming reader: the ros2 header');
  checkChannels(s.channels, s.schemas, 'cut bag');
  check(s.messages.length > 0, `streaming reader: ${s.messages.length} messages before the kill`);
  const problems = [];
  const counts = {};
  for (const msg of s.messages) {
    const channel = s.channels.get(msg.channelId);
    if (!channel) {
      problems.push(`message on unknown channel ${msg.channelId}`);
      continue;
    }
    counts[channel.topic] = (counts[channel.topic] || 0) + 1;
    checkMessage(msg, channel, s.schemas.get(channel.schemaId), problems);
  }
  check(problems.length === 0, `every message decodes: ${problems.slice(0, 5).join('; ')}`);
  check(Object.keys(counts).length === Object.keys(expectedTopics).length,
        `every topic has messages: ${JSON.stringify(counts)}`);
  // What is left unread is at most the chunk the kill interrupted.
  check(s.remaining < 1 << 20, `${s.remaining} bytes of an interrupted chunk left over`);
}

async function caseDevFull() {
  const r = runPercept();
  // Every frame is processed and the other outputs are whole; the run's exit status says that an
  // output is incomplete (run_command.cpp: a sink's failed writes fail the run).
  check(r.status === 1, `percept run ends with status 1 (incomplete output), not a crash (${r.status}) ` +
                        r.stderr.slice(-1500));
  check(/sink 'bag': bag: cannot write \/dev\/full: No space left on device/.test(r.stderr),
        'the error names the sink, the file and the full disk');
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const bag = summary.sinks && summary.sinks.bag;
  check(bag && bag.errors > 0, `summary.json counts the bag's failed frames: ${JSON.stringify(bag)}`);
  check(summary.frames === 2 * FRAMES && summary.failed === 0,
        `every frame processed: ${summary.frames} frames, ${summary.failed} failed`);
  check(jsonlLines('a', 'det').length === FRAMES && jsonlLines('b', 'det').length === FRAMES,
        'the other sinks got every frame');
}

const cases = {record: caseRecord, crash: caseCrash, 'dev-full': caseDevFull};
if (!cases[args.case]) throw new Error(`unknown --case ${args.case}`);
await cases[args.case]();
if (!failures) fs.rmSync(work, {recursive: true, force: true});
console.log(failures ? `${failures} checks failed (files in ${work})` : 'all checks passed');
process.exit(failures ? 1 : 0);
