/**
 * @module admin/page
 * The admin page: one HTML file, one stylesheet, one module script, all served from this origin
 * so the CSP can forbid anything inline. The script logs in with the admin token (kept in
 * sessionStorage, sent only as a bearer header and as the subscription token of the internal
 * stats channel), then renders each stats message the node publishes on that channel.
 */
export const ADMIN_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Herald admin</title>
<link rel="stylesheet" href="/admin/admin.css">
<script type="module" src="/admin/admin.js"></script>
</head>
<body>
<header><h1>Herald admin</h1><p id="status" role="status">Not signed in</p></header>
<main>
<form id="login" aria-labelledby="login-title">
  <h2 id="login-title">Sign in</h2>
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<div id="dashboard" hidden>
  <section aria-labelledby="node-title">
    <h2 id="node-title">Node</h2>
    <dl class="grid">
      <dt>Name</dt><dd id="node-name"></dd>
      <dt>Engine</dt><dd id="node-engine"></dd>
      <dt>Node.js</dt><dd id="node-version"></dd>
      <dt>Uptime</dt><dd id="node-uptime"></dd>
      <dt>Memory (RSS)</dt><dd id="node-rss"></dd>
      <dt>Event-loop lag</dt><dd id="node-lag"></dd>
    </dl>
  </section>
  <section aria-labelledby="conn-title">
    <h2 id="conn-title">Connections</h2>
    <dl class="counters">
      <div><dt>Total</dt><dd id="connections-total">0</dd></div>
      <div><dt>WebSocket</dt><dd id="connections-websocket">0</dd></div>
      <div><dt>SSE</dt><dd id="connections-sse">0</dd></div>
      <div><dt>Long-poll</dt><dd id="connections-longpoll">0</dd></div>
      <div><dt>Pusher</dt><dd id="connections-pusher">0</dd></div>
      <div><dt>Subscriptions</dt><dd id="subscriptions">0</dd></div>
      <div><dt>Channels</dt><dd id="channels">0</dd></div>
    </dl>
  </section>
  <section aria-labelledby="rate-title">
    <h2 id="rate-title">Messages</h2>
    <p><span id="rate-published">0</span> published/s, <span id="rate-delivered">0</span> delivered/s;
      totals <span id="total-published">0</span> published, <span id="total-delivered">0</span> delivered,
      <span id="total-dropped">0</span> dropped, <span id="total-slow">0</span> slow consumers cut.</p>
    <svg id="sparkline" role="img" aria-label="Messages published per second, last two minutes" viewBox="0 0 240 40" preserveAspectRatio="none"><polyline id="spark" points=""/></svg>
  </section>
  <section aria-labelledby="top-title">
    <h2 id="top-title">Top channels</h2>
    <div class="tables">
      <table><caption>By subscribers</caption><thead><tr><th scope="col">Channel</th><th scope="col">Subscribers</th></tr></thead><tbody id="top-subscribers"></tbody></table>
      <table><caption>By rate</caption><thead><tr><th scope="col">Channel</th><th scope="col">Messages/s</th></tr></thead><tbody id="top-rate"></tbody></table>
    </div>
  </section>
  <section aria-labelledby="users-title">
    <h2 id="users-title">A user's connections</h2>
    <form id="user-form">
      <label for="user-id">User id</label><input id="user-id" name="user" required placeholder="u42">
      <button type="submit">Show connections</button>
    </form>
    <p id="user-result" role="status"></p>
    <table id="user-table" hidden><caption>On every node</caption>
      <thead><tr><th scope="col">Client</th><th scope="col">Node</th><th scope="col">Transport</th><th scope="col">Channels</th><th scope="col">Since</th><th scope="col">Address</th><th scope="col"><button id="user-disconnect-all" type="button">Disconnect all</button></th></tr></thead>
      <tbody id="user-connections"></tbody>
    </table>
  </section>
  <section aria-labelledby="errors-title">
    <h2 id="errors-title">Recent errors</h2>
    <ol id="errors" class="errors"></ol>
  </section>
  <section aria-labelledby="publish-title">
    <h2 id="publish-title">Publish a test message</h2>
    <form id="publish">
      <label for="pub-channel">Channel</label><input id="pub-channel" name="channel" required placeholder="orders:42">
      <label for="pub-event">Event (optional)</label><input id="pub-event" name="event">
      <label for="pub-data">Data (JSON, or plain text)</label><textarea id="pub-data" name="data" rows="3">{"hello":"from admin"}</textarea>
      <button type="submit">Publish</button>
      <output id="publish-result" role="status"></output>
    </form>
  </section>
  <p><button id="logout" type="button">Sign out</button></p>
</div>
</main>
</body>
</html>
`;

export const ADMIN_CSS = `:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--accent:#0969da;--bad:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#30363d;--accent:#4493f8;--bad:#f85149}}
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:baseline;justify-content:space-between;padding:.75rem 1.25rem;border-bottom:1px solid var(--line)}
h1{font-size:1.25rem;margin:0}h2{font-size:1rem;margin:0 0 .5rem}main{padding:1rem 1.25rem;max-width:72rem}
section{margin:0 0 1.5rem}#status{margin:0;color:var(--muted)}
.grid{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dd{margin:0;font-variant-numeric:tabular-nums}dt{color:var(--muted)}
.counters{display:flex;flex-wrap:wrap;gap:.75rem;margin:0}.counters div{border:1px solid var(--line);border-radius:6px;padding:.5rem .9rem;min-width:7.5rem}
.counters dd{font-size:1.6rem;font-weight:600}
#sparkline{width:100%;max-width:40rem;height:4rem;border:1px solid var(--line);border-radius:6px}#spark{fill:none;stroke:var(--accent);stroke-width:1.5;vector-effect:non-scaling-stroke}
.tables{display:flex;flex-wrap:wrap;gap:1.5rem}table{border-collapse:collapse;min-width:18rem}caption{text-align:left;color:var(--muted)}
th,td{text-align:left;padding:.25rem .6rem;border-bottom:1px solid var(--line)}td:last-child,th:last-child{text-align:right;font-variant-numeric:tabular-nums}
.errors{margin:0;padding-left:1.25rem;font-family:ui-monospace,monospace;font-size:.85rem}.error{color:var(--bad)}
form{display:grid;grid-template-columns:max-content minmax(0,28rem);gap:.5rem 1rem;align-items:center}form h2{grid-column:1/-1}
form button,form output,form .error{grid-column:2}input,textarea,button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.35rem .5rem}
button{cursor:pointer;background:var(--accent);color:#fff;border-color:var(--accent);justify-self:start}#logout{background:none;color:var(--accent)}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
`;

export const ADMIN_JS = `import { connect } from '/client.js';

const $ = (id) => document.getElementById(id);
const KEY = 'herald-admin-token';
let client;

function text(id, value) { $(id).textContent = String(value); }
function bytes(n) { return n > 1 << 30 ? (n / (1 << 30)).toFixed(2) + ' GiB' : (n / (1 << 20)).toFixed(1) + ' MiB'; }
function duration(s) { const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60); return (h ? h + ' h ' : '') + (m ? m + ' min ' : '') + (s % 60) + ' s'; }
function rows(id, items, a, b) {
  const body = $(id);
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    for (const value of [item[a], item[b]]) { const td = document.createElement('td'); td.textContent = String(value); tr.append(td); }
    return tr;
  }));
  if (items.length === 0) { const tr = document.createElement('tr'); const td = document.createElement('td'); td.colSpan = 2; td.textContent = 'none'; tr.append(td); body.append(tr); }
}

let series = [];
function sparkline() {
  const max = Math.max(1, ...series);
  const step = 240 / Math.max(1, series.length - 1);
  $('spark').setAttribute('points', series.map((v, i) => (i * step).toFixed(1) + ',' + (39 - (v / max) * 38).toFixed(1)).join(' '));
}

function render(s) {
  text('node-name', s.node); text('node-engine', s.engine); text('node-version', s.nodeVersion + ' (pid ' + s.pid + ')');
  text('node-uptime', duration(s.uptimeSeconds)); text('node-rss', bytes(s.memory.rss)); text('node-lag', s.eventLoopLagMs + ' ms');
  for (const k of ['total', 'websocket', 'sse', 'longpoll', 'pusher']) text('connections-' + k, s.connections[k]);
  text('subscriptions', s.subscriptions); text('channels', s.channels);
  text('rate-published', s.rate.published); text('rate-delivered', s.rate.delivered);
  text('total-published', s.totals.published); text('total-delivered', s.totals.delivered);
  text('total-dropped', s.totals.dropped); text('total-slow', s.totals.slowConsumers);
  if (s.top.bySubscribers.length || s.top.byRate.length || s.channels === 0) {
    rows('top-subscribers', s.top.bySubscribers, 'channel', 'subscribers');
    rows('top-rate', s.top.byRate, 'channel', 'perSecond');
  }
  $('errors').replaceChildren(...s.errors.slice().reverse().map((e) => {
    const li = document.createElement('li');
    li.textContent = new Date(e.t).toLocaleTimeString() + ' ' + e.kind + ': ' + e.message;
    return li;
  }));
}

async function api(path, token, body) {
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? { authorization: 'Bearer ' + token } : { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error ? json.error.message : 'HTTP ' + res.status);
  return json;
}

async function start(token) {
  const session = await api('/admin/api/session', token);
  sessionStorage.setItem(KEY, token);
  $('login').hidden = true; $('dashboard').hidden = false;
  series = session.samples.map((x) => x.published); sparkline(); render(session.snapshot);
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  client = connect(scheme + location.host + '/ws', { transports: ['websocket'] });
  client.on('state', (state) => text('status', 'Live updates: ' + state));
  client.subscribe(session.channel, (m) => {
    series.push(m.data.rate.published); if (series.length > 120) series.shift(); sparkline();
    render(m.data);
  }, { getToken: async () => token });
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  start($('token').value).catch((err) => { $('login-error').textContent = 'Sign-in failed: ' + err.message; });
});
let shownUser = '';
async function showUser(user) {
  shownUser = user;
  const { connections, nodes } = await api('/admin/api/users/' + encodeURIComponent(user) + '/connections', sessionStorage.getItem(KEY));
  text('user-result', connections.length + ' connection(s) of ' + user + ', from ' + nodes + ' node(s)');
  $('user-table').hidden = connections.length === 0;
  $('user-connections').replaceChildren(...connections.map((c) => {
    const tr = document.createElement('tr');
    for (const value of [c.client, c.node, c.transport, c.channels.join(', '), new Date(c.since).toLocaleTimeString(), c.address]) {
      const td = document.createElement('td'); td.textContent = value; tr.append(td);
    }
    const td = document.createElement('td'); const button = document.createElement('button');
    button.type = 'button'; button.textContent = 'Disconnect'; button.dataset.client = c.client;
    td.append(button); tr.append(td);
    return tr;
  }));
}
async function disconnect(body) {
  const r = await api('/admin/api/users/' + encodeURIComponent(shownUser) + '/disconnect', sessionStorage.getItem(KEY), body);
  await showUser(shownUser);
  text('user-result', 'Disconnected ' + r.disconnected + ' connection(s) of ' + shownUser);
}
const fail = (err) => text('user-result', 'Failed: ' + err.message);
$('user-form').addEventListener('submit', (e) => { e.preventDefault(); showUser($('user-id').value).catch(fail); });
$('user-disconnect-all').addEventListener('click', () => disconnect({}).catch(fail));
$('user-connections').addEventListener('click', (e) => {
  const client = e.target instanceof HTMLButtonElement ? e.target.dataset.client : undefined;
  if (client) disconnect({ client }).catch(fail);
});
$('logout').addEventListener('click', () => { sessionStorage.removeItem(KEY); location.reload(); });
$('publish').addEventListener('submit', (e) => {
  e.preventDefault();
  const raw = $('pub-data').value;
  let data;
  try { data = JSON.parse(raw); } catch { data = raw; }
  const body = { channel: $('pub-channel').value, data };
  if ($('pub-event').value) body.event = $('pub-event').value;
  api('/admin/api/publish', sessionStorage.getItem(KEY), body).then(
    (r) => text('publish-result', 'Published to ' + r.channel + ' at offset ' + r.offset),
    (err) => text('publish-result', 'Failed: ' + err.message),
  );
});
const saved = sessionStorage.getItem(KEY);
if (saved) start(saved).catch(() => sessionStorage.removeItem(KEY));
`;
