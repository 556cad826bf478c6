/**
 * @module config/string-enum
 * A string from a fixed list, as a JSON Schema `enum` so errors can list the allowed values.
 */
import { Type, type SchemaOptions } from '@sinclair/typebox';

export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
