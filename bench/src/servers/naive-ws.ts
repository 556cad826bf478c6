/**
 * @module servers/naive-ws
 * Baseline: what most people write first with `ws`. Every publish loops over the clients and
 * stringifies the frame once per client before `ws.send`; no batching, no shared buffers, no
 * backpressure handling. Herald's targets are ratios to this server.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { handleHttp, listenOptions } from './common.js';

const { host, port } = listenOptions();
const wss = new WebSocketServer({ noServer: true });
const server = createServer(
  handleHttp(({ channel, data }) => {
    for (const client of wss.clients) {
      if (client.readyState === client.OPEN) client.send(JSON.stringify({ type: 'message', channel, data }));
    }
  }),
);
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
// Keep-alive publishers must not be cut by the default 5 s idle timeout between phases.
server.keepAliveTimeout = 60_000;
server.listen(port, host);
