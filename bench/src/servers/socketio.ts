/**
 * @module servers/socketio
 * Socket.IO as usually deployed for broadcast: one namespace, `io.emit('msg', data)`, which
 * encodes the packet once and writes it to every engine.io socket. Only the websocket
 * transport is offered because the generator connects with it directly (no polling upgrade).
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { handleHttp, listenOptions } from './common.js';

const { host, port } = listenOptions();
const server = createServer();
const io = new Server(server, { transports: ['websocket'], serveClient: false });
// Socket.IO only answers /socket.io/ requests itself and passes others to earlier listeners,
// so our handler is attached after it and ignores what Socket.IO already answered.
const http = handleHttp(({ data }) => {
  io.emit('msg', data);
});
server.on('request', (req, res) => {
  if (!req.url?.startsWith('/socket.io/')) http(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(port, host);
