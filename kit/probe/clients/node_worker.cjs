// KeyLab's Node SDK worker: one JSON request per line on stdin, one JSON answer per line on stdout
// (any order, matched by id). Run by kit/probe/clients/sdk_node.py as `node node_worker.cjs`, with
// KEYLAB_SDK_DIR naming the folder whose node_modules/@anthropic-ai/sdk to load (any SDK version;
// CommonJS, so `require` loads 0.24.x and 1.x alike). The key arrives base64-encoded in the request,
// never on a command line, and is never written to stdout.
'use strict';
const path = require('path');
const readline = require('readline');
const dir = path.join(process.env.KEYLAB_SDK_DIR, 'node_modules', '@anthropic-ai', 'sdk');
const mod = require(dir);
const Anthropic = mod.Anthropic || mod.default || mod;
const VERSION = require(path.join(dir, 'package.json')).version;
const write = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function headerPairs(h) {
  const out = {};
  if (!h) return out;
  try {
    if (typeof h.forEach === 'function' && typeof h.get === 'function') {
      h.forEach((v, k) => { out[k.toLowerCase()] = v; });
      return out;
    }
  } catch (e) { /* fall through */ }
  for (const k of Object.keys(h)) {
    const v = h[k];
    if (v !== null && v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function authStyle(h) {
  const key = 'x-api-key' in h, bearer = /^bearer/i.test(h['authorization'] || '');
  return key && bearer ? 'both' : key ? 'x-api-key' : bearer ? 'bearer' : 'none';
}

function rootCause(e) {
  let cur = e, name = null, code = null, messages = [];
  for (let i = 0; cur && i < 6; i++) {
    if (cur.message) messages.push(String(cur.message));
    if (cur.code && !code) code = String(cur.code);
    name = cur.name || (cur.constructor && cur.constructor.name) || name;
    cur = cur.cause;
  }
  return { code: code, name: name, message: messages.join(' <- ') };
}

// At most MAX_BODY bytes of an answer (kit.guard.limits.MAX_BODY_BYTES), and all of them before the deadline.
const MAX_BODY = Number(process.env.KEYLAB_MAX_BODY_BYTES) || 262144;

function timeoutError(ms) {
  const e = new Error('the answer did not arrive within ' + ms + ' ms in all (the server sends it too slowly)');
  e.code = 'ETIMEDOUT';
  return e;
}

async function capped(res, deadline, totalMs) {
  const body = res.body;
  if (!body) return { bytes: Buffer.alloc(0), tooLarge: false };
  if (typeof body.on === 'function') body.on('error', () => {});  // node-fetch: a late error must not kill us
  const it = body[Symbol.asyncIterator]();
  const chunks = [];
  let size = 0, tooLarge = false;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw timeoutError(totalMs);
      let timer;
      const next = await Promise.race([it.next(), new Promise((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(totalMs)), left);
      })]).finally(() => clearTimeout(timer));
      if (next.done) break;
      const chunk = Buffer.from(next.value);
      if (size + chunk.length > MAX_BODY) {
        chunks.push(chunk.subarray(0, MAX_BODY - size));
        tooLarge = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    if (typeof it.return === 'function') it.return().catch(() => {});
    if (typeof body.destroy === 'function') { try { body.destroy(); } catch (e) { /* gone already */ } }
  }
  return { bytes: Buffer.concat(chunks), tooLarge: tooLarge };
}

async function handle(req) {
  const key = Buffer.from(req.key_b64, 'base64').toString('utf8');
  const headers = {};
  if (req.version) headers['anthropic-version'] = req.version;
  const opts = { baseURL: req.base_url, maxRetries: 0, timeout: req.timeout_ms, apiKey: key, authToken: null };
  if (req.style === 'bearer') { opts.apiKey = null; opts.authToken = key; }
  else if (req.style === 'x-api-key') { headers['X-Api-Key'] = key; headers['Authorization'] = null; }
  else if (req.style === 'both') { opts.apiKey = key; opts.authToken = key; headers['X-Api-Key'] = key; }
  else if (req.style === 'none') { opts.apiKey = null; headers['X-Api-Key'] = null; headers['Authorization'] = null; }
  opts.defaultHeaders = headers;
  const sent = {};
  let answer = null;
  const started = process.hrtime.bigint();
  const startedMs = Date.now();
  const done = (extra) => write(Object.assign({ id: req.id, sdk_version: VERSION, sent: sent,
    latency_ms: Number(process.hrtime.bigint() - started) / 1e6 }, answer || {}, extra));
  let client;
  try {
    client = new Anthropic(opts);
    const inner = client.fetch;
    client.fetch = async (url, init) => {
      const h = headerPairs(init && init.headers);
      sent.user_agent = h['user-agent'] || null;
      sent.auth_style = authStyle(h);
      sent.version = h['anthropic-version'] || '';
      // redirect 'manual': a 3xx is the answer; following it would carry the key past KeyLab's gate.
      const res = await inner.call(undefined, url, Object.assign({}, init, { redirect: 'manual' }));
      answer = { status: res.status, headers: headerPairs(res.headers) };
      let got = { bytes: Buffer.alloc(0), tooLarge: false };
      try { got = await capped(res, startedMs + req.timeout_ms, req.timeout_ms); }
      catch (e) {
        const c = rootCause(e);
        answer.body_error = { code: c.code || c.name || 'BodyError', message: c.message };
      }
      answer.body_b64 = got.bytes.toString('base64');
      if (got.tooLarge) answer.too_large = true;
      // The SDK reads this copy: at most MAX_BODY bytes, already here (no clone whose unread twin stalls it).
      const empty = [101, 204, 205, 304].includes(res.status);
      return new res.constructor(empty ? null : got.bytes,
                                 { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    const p = req.path;
    if (req.method === 'GET') await client.get(p, {});
    else await client.post(p, { body: req.body });
    done({});
  } catch (e) {
    const c = rootCause(e);
    const cls = (e && e.constructor && e.constructor.name) || 'Error';
    const rid = e && e.headers ? (e.headers['request-id'] || null) : null;
    done({ client_error: cls + ': ' + (e && e.message ? e.message : String(e)), cause_code: c.code,
           cause_name: c.name, cause_message: c.message, request_id: rid });
  }
}

// A stray error from a half-read answer must not take every other attempt's row with it.
process.on('uncaughtException', (e) => { process.stderr.write('keylab worker: ' + String(e && e.message) + '\n'); });
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try { req = JSON.parse(line); } catch (e) { return; }
  handle(req).catch((e) => write({ id: req.id, worker_error: String(e && e.stack || e) }));
});
rl.on('close', () => setTimeout(() => process.exit(0), 50));
write({ ready: true, sdk_version: VERSION, node_version: process.version });
