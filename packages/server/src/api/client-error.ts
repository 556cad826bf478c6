/**
 * @module api/client-error
 * Answers what Node's HTTP parser refuses before any route runs: a malformed request, headers
 * over Node's size limit, or a request not received within `server.headers_timeout_seconds` /
 * `server.request_timeout_seconds`. Fastify's default handler logs such errors with
 * `err.rawPacket`, the request's raw bytes, Authorization, X-API-Token and `?token=` credentials
 * included; this one logs the error code only.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '@herald/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { httpAnswer } from '../http-answer.js';

const ANSWERS: Record<string, { status: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, message: 'request headers too large' },
};
const MALFORMED = { status: 400, message: 'malformed HTTP request' };

export function clientErrorHandler(log: FastifyBaseLogger): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    // A reset socket is gone already: nothing to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = ANSWERS[err.code ?? ''] ?? MALFORMED;
    log.debug({ code: err.code, status }, 'HTTP request refused by the parser');
    if (!socket.writable) return void socket.destroy();
    const body = JSON.stringify({ error: { code: ErrorCode.BadRequest, message } });
    // Closed once the answer is out: the peer may still be sending, and nothing more is read.
    socket.end(httpAnswer(status, body, 'application/json'), () => socket.destroy());
  };
}
