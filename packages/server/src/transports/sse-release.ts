/**
 * @module transports/sse-release
 * Hands an SSE stream's socket over from Node's HTTP server to the SSE transport, as Node does
 * itself for an upgraded connection (WebSocket): its HTTP parser goes back to Node's pool, and the
 * request, the response and the server's per-connection state (four bound listeners, the entry
 * of the request-timeout checker) become garbage. Node keeps them for as long as a response is
 * open, i.e. a stream's whole life: ~1.6 KB of heap per idle stream, plus the parser's native
 * part (room for 32 header names and values, ~1.5 KB), where a WebSocket keeps none of it.
 *
 * This uses Node internals (`_http_common`'s freeParser, the socket's `parser` and `_httpMessage`
 * fields, the server's listeners found by name), as of Node 20. Each is checked first; if any is
 * not as expected (another Node version, a request with a body still arriving, a pipelined
 * request already parsed), nothing is touched and the stream runs as before, on Node's HTTP state.
 *
 * A released socket is a plain net.Socket whose 'data', 'end' and 'error' listeners are the
 * caller's: nothing parses what the client sends any more.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** Node's HTTPParser, as far as is used here. */
interface Parser {
  incoming: unknown;
}

type FreeParser = (parser: Parser, req: IncomingMessage | null, socket: Socket | null) => void;

interface HttpSocket {
  parser?: Parser | null;
  _httpMessage?: unknown;
}

/**
 * The listeners Node's HTTP server puts on each socket (lib/_http_server.js), by function name,
 * that Node removes on 'upgrade' too. The 'timeout' one stays, as on upgrade: it is shared and
 * only destroys the socket if `server.timeout` is set and nothing else takes the event.
 * 'resume'/'pause' keep a consumed socket's reading in step with the parser's.
 */
const NODE_LISTENERS: readonly (readonly [event: string, name: string])[] = [
  ['data', 'bound socketOnData'],
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['error', 'socketOnError'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
];

const freeParser: FreeParser | undefined = (() => {
  try {
    const common = createRequire(import.meta.url)('_http_common') as { freeParser?: unknown };
    return typeof common.freeParser === 'function' ? (common.freeParser as FreeParser) : undefined;
  } catch {
    return undefined;
  }
})();

/** Why the HTTP state cannot be released, or undefined when it can. */
function obstacle(req: IncomingMessage, res: ServerResponse, socket: Socket & HttpSocket): string | undefined {
  if (freeParser === undefined) return "no freeParser in Node's _http_common";
  const parser = socket.parser;
  if (parser === null || typeof parser !== 'object') return 'the socket has no HTTP parser';
  // Another request already parsed behind this one (pipelined), or a body still arriving.
  if (parser.incoming !== req) return "the parser's current request is not the stream's";
  if (!req.complete) return 'the request is not complete';
  if (socket._httpMessage !== res || typeof res.detachSocket !== 'function') return "the socket's response is not the stream's";
  for (const [event, name] of NODE_LISTENERS) {
    if (socket.listeners(event).filter((listener) => listener.name === name).length !== 1) return `no single '${event}' listener ${name}`;
  }
  return undefined;
}

/**
 * Releases Node's HTTP state of a stream's socket (see the module comment). Returns undefined when
 * done, or why it was not (the socket is then untouched).
 */
export function releaseHttpState(req: IncomingMessage, res: ServerResponse): string | undefined {
  const socket = req.socket as Socket & HttpSocket;
  const why = obstacle(req, res, socket);
  if (why !== undefined) return why;
  for (const [event, name] of NODE_LISTENERS) {
    socket.removeListener(event, socket.listeners(event).find((listener) => listener.name === name) as (...args: unknown[]) => void);
  }
  // Stops the parser consuming the socket's handle, takes it off the server's connection list
  // (headers/request timeouts, closeIdleConnections) and returns it to Node's parser pool.
  freeParser!(socket.parser!, req, socket);
  res.detachSocket(socket);
  // As Node leaves an upgraded socket: neither flowing nor paused until a 'data' listener comes.
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  return undefined;
}
