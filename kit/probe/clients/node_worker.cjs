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
      try { answer.body_b64 = Buffer.from(await res.clone().arrayBuffer()).toString('base64'); }
      catch (e) {
        const c = rootCause(e);
        answer.body_error = { code: c.code || c.name || 'BodyError', message: c.message };
      }
      return res;
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

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try { req = JSON.parse(line); } catch (e) { return; }
  handle(req).catch((e) => write({ id: req.id, worker_error: String(e && e.stack || e) }));
});
rl.on('close', () => setTimeout(() => process.exit(0), 50));
write({ ready: true, sdk_version: VERSION, node_version: process.version });
