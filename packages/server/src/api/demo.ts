/**
 * @module api/demo
 * The demo pages under /demo/ (chat with presence, live notifications): static files read once at
 * start from packages/server/demo, using the browser client at /client.js. They talk to the `demo`
 * namespace, which `demoNamespace` supplies when the configuration does not define one.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { NamespaceSchema, type NamespaceConfig } from '../config/schema.js';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'chat.html': 'text/html; charset=utf-8',
  'notifications.html': 'text/html; charset=utf-8',
  'demo.css': 'text/css; charset=utf-8',
};

/** What the demo pages need: presence and client publishing, with modest limits. */
export function demoNamespace(): NamespaceConfig {
  const defaults = Value.Create(NamespaceSchema) as NamespaceConfig;
  return { ...defaults, history_size: 50, presence: true, allow_client_publish: true, client_publish_per_second: 5, max_subscribers: 1000 };
}

export function registerDemo(app: FastifyInstance): void {
  const dir = new URL('../../demo/', import.meta.url);
  const pages = new Map<string, Buffer>();
  for (const name of Object.keys(FILES)) {
    try {
      pages.set(name, readFileSync(new URL(name, dir)));
    } catch {
      app.log.warn({ file: name }, 'demo page missing; it will answer 404');
    }
  }
  app.get('/demo', async (_req, reply) => reply.redirect('/demo/'));
  app.get<{ Params: { file?: string } }>('/demo/:file', async (req, reply) => {
    const name = req.params.file || 'index.html';
    const body = pages.get(name);
    if (!body) return reply.status(404).send({ error: { code: 'not_found', message: `no demo file "${name}"` } });
    return reply.header('content-type', FILES[name]!).header('cache-control', 'no-cache').send(body);
  });
}
