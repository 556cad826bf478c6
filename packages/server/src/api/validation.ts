/**
 * @module api/validation
 * Bodies are validated strictly (an unknown field or a number where a string belongs is a 400,
 * never silently dropped or converted); query strings and path params are text by nature, so
 * they are coerced to the schema's types.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';

const strictAjv = () => new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });

export function registerValidation(app: FastifyInstance): void {
  const strict = strictAjv();
  const coercing = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}

/** A body validator with the options the routes' body validators have (api/fast-publish validates outside Fastify). */
export function compileBodyValidator(schema: object): ValidateFunction {
  return strictAjv().compile(schema);
}

/** The message of a failed validation, worded as Fastify's default schemaErrorFormatter words it. */
export function validationMessage(validate: ValidateFunction, dataVar: string): string {
  return (validate.errors ?? []).map((e) => `${dataVar}${e.instancePath || ''} ${e.message ?? ''}`).join(', ');
}
