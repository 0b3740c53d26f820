// flexnet_client.js (Node.js): runs a task on every device of flexnetd's
// inventory with streamed results, then a config change with a backup,
// reads the newest backup in chunks and diffs it against the one before.
//
//   NODE_PATH=.tools/node_modules FLEXNET_ADDR=127.0.0.1:50051 \
//     FLEXNET_PASSWORD_ENV=FN_PASS node examples/node/flexnet_client.js
//
// flexnet.proto is loaded at run time (@grpc/proto-loader over
// @grpc/grpc-js, installed by scripts/bootstrap into .tools/); its path is
// FLEXNET_PROTO_DIR (default: the repository's proto/). Credentials go by
// reference: FLEXNET_PASSWORD_ENV names a variable of the *server*.
'use strict';
const crypto = require('crypto');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

// The config line the second task applies (and the diff must show).
const NTP = process.env.FLEXNET_CONFIG_LINE || 'ntp server 192.0.2.1';
const env = (name, def) => process.env[name] || def;

function client() {
  const dir = env('FLEXNET_PROTO_DIR', path.join(__dirname, '..', '..',
                                                 'proto'));
  const def = loader.loadSync('flexnet/v1/flexnet.proto', {
    includeDirs: [dir], keepCase: true, longs: Number, enums: String,
    defaults: true, oneofs: true,
  });
  const Flexnet = grpc.loadPackageDefinition(def).flexnet.v1.Flexnet;
  return new Flexnet(env('FLEXNET_ADDR', '127.0.0.1:50051'),
                     grpc.credentials.createInsecure());
}

function spec(name, steps) {
  return {
    name, steps,
    credentials: {
      username: env('FLEXNET_USER', 'admin'),
      password_env: env('FLEXNET_PASSWORD_ENV', 'FN_PASS'),
      enable_password_env: env('FLEXNET_ENABLE_ENV', ''),
    },
  };
}

// Streams a task's events; prints each result as it arrives.
function runTask(c, s) {
  return new Promise((resolve, reject) => {
    let results = 0;
    let summary = null;
    const call = c.RunTask(s, {deadline: Date.now() + 300000});
    call.on('data', (ev) => {
      if (ev.event === 'result') {
        results++;
        const r = ev.result;
        console.log(`result ${r.host} "${r.command}" exit=${r.exit_code}`);
      } else if (ev.event === 'summary') {
        summary = ev.summary;
      }
    });
    call.on('error', reject);
    call.on('end', () => {
      if (!summary) return reject(new Error(`${s.name}: no summary`));
      console.log(`task ${s.name}: ${summary.status}, ${summary.devices} ` +
                  `devices, ${summary.ok} ok, ${results} results streamed`);
      resolve({summary, results});
    });
  });
}

const unary = (c, method, req) => new Promise((resolve, reject) =>
  c[method](req, {deadline: Date.now() + 60000},
            (err, resp) => (err ? reject(err) : resolve(resp))));

function getBackup(c, id) {
  return new Promise((resolve, reject) => {
    const parts = [];
    const call = c.GetBackup({id, chunk_size: 4096},
                             {deadline: Date.now() + 60000});
    call.on('data', (ch) => parts.push(ch.data));
    call.on('error', reject);
    call.on('end', () => resolve(Buffer.concat(parts)));
  });
}

async function main() {
  const c = client();
  const one = await runTask(c, spec('node-show', [
    {kind: 'STEP_KIND_COMMANDS', commands: ['show version']},
    {kind: 'STEP_KIND_BACKUP', comment: 'before'}]));
  const two = await runTask(c, spec('node-change', [
    {kind: 'STEP_KIND_CONFIG', commands: [NTP]},
    {kind: 'STEP_KIND_BACKUP', comment: 'after'}]));
  for (const t of [one, two]) {
    if (t.summary.ok !== t.summary.devices) throw new Error('a device failed');
  }
  const list = await unary(c, 'ListBackups', {page_size: 1});
  const b = list.backups[0];
  const text = await getBackup(c, b.id);
  const sha = crypto.createHash('sha256').update(text).digest('hex');
  if (text.length !== b.size || sha !== b.sha256) {
    throw new Error(`backup ${b.id}: size or sha256 mismatch`);
  }
  const d = await unary(c, 'DiffBackups', {id_a: b.id});
  process.stdout.write(d.diff);
  if (!d.diff.includes('+' + NTP)) throw new Error(`the diff lacks +${NTP}`);
  console.log(`ok: ${one.summary.devices} devices, ${one.results} results ` +
              `streamed, backup ${b.id} of ${b.host} (${text.length} bytes) ` +
              'diffed');
  c.close();
}

main().catch((e) => {
  console.error(`flexnet_client: ${e.message}`);
  process.exit(1);
});
