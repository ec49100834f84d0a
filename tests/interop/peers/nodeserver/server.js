'use strict';
// nodeserver: an HTTPS server from Node's https/tls modules (Node 18 and 20
// APIs only) for tests/interop/test_parley_client_vs_servers.sh.
// usage: node server.js PORT CERT KEY VERSION MODE
//   VERSION: 1.2 or 1.3, the only version served (minVersion = maxVersion)
//   MODE: ticket  RFC 5077 / RFC 8446 4.6.1 tickets sealed with ticketKeys
//         id      no tickets (SSL_OP_NO_TICKET); TLS 1.2 resumes by session ID
//                 through the newSession/resumeSession events (Node keeps no
//                 session cache of its own)
//         none    neither: nothing can be resumed (the negative control)
// Each response, and one line on stdout, says what the server saw.
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');

const [port, certFile, keyFile, version, mode] = process.argv.slice(2);
const v = version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
const opts = {
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  minVersion: v,
  maxVersion: v,
  ALPNProtocols: ['http/1.1'],
  sessionTimeout: 300,
};
if (mode === 'ticket') {
  // 48 bytes: name, HMAC key and AES key (Node's documented layout).
  opts.ticketKeys = crypto.randomBytes(48);
} else {
  opts.secureOptions = crypto.constants.SSL_OP_NO_TICKET;
}

const server = https.createServer(opts, (req, res) => {
  const s = req.socket;
  const line = `node proto=${s.getProtocol()} cipher=${s.getCipher().standardName} ` +
    `resumed=${s.isSessionReused()} alpn=${s.alpnProtocol}`;
  console.log(line);
  res.setHeader('Connection', 'close');
  res.end(`hello from ${line}\n`);
});

if (mode === 'id') {
  const sessions = new Map();
  server.on('newSession', (id, data, cb) => {
    sessions.set(id.toString('hex'), data);
    console.log(`stored session ${id.length} bytes id`);
    cb();
  });
  server.on('resumeSession', (id, cb) => {
    const data = sessions.get(id.toString('hex')) || null;
    console.log(`resumeSession ${data ? 'found' : 'unknown'}`);
    cb(null, data);
  });
}

server.listen(Number(port), '127.0.0.1', () => console.log(`ready ${port}`));
