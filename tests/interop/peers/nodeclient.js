'use strict';
// Node.js's tls as a real client for the real-client matrix
// (test_real_clients*.sh): two connections from this one process, the second
// offering the first's session. Usage: node nodeclient.js PORT CAFILE 1.2|1.3 PATH
// Prints 'connN version= cipher= alpn= reused=' (cipher: getCipher().standardName,
// the IANA name) and the body as 'bodyN ' lines. Only APIs present in Node 18
// and 20: tls.connect's minVersion/maxVersion/ALPNProtocols/session, the
// 'session' event (TLS 1.3 tickets arrive after the handshake), isSessionReused().
const tls = require('tls');
const fs = require('fs');
const [port, cafile, ver, path] = process.argv.slice(2);
const v = ver === '1.3' ? 'TLSv1.3' : 'TLSv1.2';
const ca = fs.readFileSync(cafile);

function once(n, session) {
  return new Promise((resolve, reject) => {
    let latest = null;
    let data = '';
    let info = null;
    const s = tls.connect({
      host: '127.0.0.1', port: Number(port), servername: 'localhost', ca,
      minVersion: v, maxVersion: v, ALPNProtocols: ['http/1.1'], session,
    });
    s.setTimeout(10000, () => { s.destroy(); reject(new Error('timeout')); });
    s.on('session', (sess) => { latest = sess; });
    s.on('secureConnect', () => {
      const c = s.getCipher();
      info = `conn${n} version=${s.getProtocol()} cipher=${c.standardName || c.name} ` +
        `alpn=${s.alpnProtocol || 'none'} reused=${s.isSessionReused() ? 'yes' : 'no'}`;
      s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d) => { data += d.toString(); });
    s.on('error', reject);
    s.on('close', () => {
      if (!info) return reject(new Error('no handshake'));
      console.log(info);
      for (const line of data.split(/\r?\n/)) console.log(`body${n} ${line}`);
      resolve(latest);
    });
  });
}

(async () => {
  const sess = await once(1, undefined);
  await once(2, sess || undefined);
})().catch((e) => { console.log(`error ${e.message}`); process.exit(1); });
