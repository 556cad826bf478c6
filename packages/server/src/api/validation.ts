/**
 * @module api/validation
 * Bodies are validated strictly (an unknown field or a number where a string belongs is a 400,
 * never silently dropped or converted); query strings and path params are text by nature, so
 * they are coerced to the schema's types.
 */
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';

export function registerValidation(app: FastifyInstance): void {
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });
  const coercing = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
