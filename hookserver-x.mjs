import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SECRET = process.env.HERALD_HOOK_SECRET;
const mac = (t, id, body) => createHmac('sha256', SECRET).update(`${t}.${id}.${body}`).digest('hex');

function verify(header, body) {
  const f = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=')));
  if (!f.t || !f.id || !/^[0-9a-f]{64}$/.test(f.v1 ?? '') || Math.abs(Date.now() / 1000 - Number(f.t)) > 60) return undefined;
  return timingSafeEqual(Buffer.from(mac(f.t, f.id, body), 'hex'), Buffer.from(f.v1, 'hex')) ? f.id : undefined;
}

createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const id = verify(req.headers['x-herald-hook-signature'], body);
    if (!id) return res.writeHead(401).end();
    const request = JSON.parse(body);
    let answer;
    if (req.url === '/herald/connect') {
      const session = request.cookies.session; // look it up in your session store
      answer = session ? { result: { user: 'u42', info: { name: 'Alice' }, channels: ['orders:u42'] } } : { error: { code: 'no_session', message: 'log in first' } };
    } else if (req.url === '/herald/rpc') {
      answer = { result: { data: { method: request.method, ok: true } } };
    } else {
      answer = { result: {} };
    }
    const text = JSON.stringify(answer);
    const t = Math.floor(Date.now() / 1000);
    res.writeHead(200, { 'content-type': 'application/json', 'x-herald-hook-signature': `t=${t},id=${id},v1=${mac(t, id, text)}` }).end(text);
  });
}).listen(18980, '127.0.0.1');
