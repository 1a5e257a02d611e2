// Reading request members out of parsed JSON, with the service's validation messages.
import { ApiError, validation } from './errors.ts';
import type { SqlParameter } from './model.ts';

export type Input = Readonly<Record<string, unknown>>;

export function parseBody(body: string): Input {
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new ApiError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Input;
}

const memberName = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

function invalid(key: string, value: unknown, constraint: string): ApiError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return validation(
    `1 validation error detected: Value ${shown} at '${memberName(key)}' failed to satisfy constraint: ${constraint}`,
  );
}

export function optionalString(
  input: Input,
  key: string,
  limits: { min?: number; max?: number } = {},
): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(key, value, 'Member must be a string');
  if (limits.min !== undefined && value.length < limits.min) {
    throw invalid(key, value, `Member must have length greater than or equal to ${limits.min}`);
  }
  if (limits.max !== undefined && value.length > limits.max) {
    throw invalid(key, value, `Member must have length less than or equal to ${limits.max}`);
  }
  return value;
}

export function requiredString(input: Input, key: string, limits: { min?: number; max?: number } = {}): string {
  const value = optionalString(input, key, limits);
  if (value === undefined) throw invalid(key, undefined, 'Member must not be null');
  return value;
}

export function optionalBoolean(input: Input, key: string): boolean | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(key, value, 'Member must be a boolean');
  return value;
}

export function optionalInteger(input: Input, key: string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(key, value, 'Member must be an integer');
  if (value < min) throw invalid(key, value, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw invalid(key, value, `Member must have value less than or equal to ${max}`);
  return value;
}

export function requiredStringList(input: Input, key: string, min: number, max: number): string[] {
  const value = input[key];
  if (value === undefined || value === null) throw invalid(key, undefined, 'Member must not be null');
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw invalid(key, value, 'Member must be a list of strings');
  if (value.length < min) throw invalid(key, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw invalid(key, value, `Member must have length less than or equal to ${max}`);
  return value as string[];
}

export function optionalParameters(input: Input, key: string): SqlParameter[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(key, value, 'Member must be a list');
  return value.map((item: unknown) => {
    const entry = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const { name, value: parameterValue } = entry;
    if (typeof name !== 'string' || !/^[0-9a-zA-Z_]+$/.test(name)) {
      throw invalid(`${key}.member.name`, name, 'Member must satisfy regular expression pattern: ^[0-9a-zA-Z_]+$');
    }
    if (typeof parameterValue !== 'string' || parameterValue.length < 1) {
      throw invalid(`${key}.member.value`, parameterValue, 'Member must have length greater than or equal to 1');
    }
    return { name, value: parameterValue };
  });
}
