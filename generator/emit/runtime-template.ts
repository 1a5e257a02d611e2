// The CloudFormation template that deploys the runtime: state table, Lambda, completion-event rule,
// SQS queue with dead-letter queue, least-privilege role. Pure and deterministic: the same options
// give the same bytes.
import { CALLBACK_COMPAT_VALUES } from '../../runtime/src/config.ts';
import { compileTemplate } from './templates.ts';
import { reaperMachine } from '../compile/reaper.ts';
import { renderDefinition } from './json.ts';

export const RUNTIME_TEMPLATE_FILE = 'runtime.template.yaml';

/** Where the runtime's code comes from; see `codeUri`. */
export type RuntimeTemplateOptions = {
  /**
   * Omitted: the template takes parameters RuntimeCodeS3Bucket / RuntimeCodeS3Key (a zip with
   * index.mjs at its root). `s3://bucket/key`: that object. Anything else is a local path (e.g.
   * `../runtime/dist`) that `aws cloudformation package` zips and uploads.
   */
  codeUri?: string;
  description?: string;
  /** Defaults of the target parameters (the Lambda's REDSHIFT_* environment and the role's scope). */
  target?: {
    cluster?: string;
    workgroup?: string;
    database?: string;
    dbUser?: string;
    secretArn?: string;
    /** The secrets' customer-managed KMS key (the spec's `secretKmsKeyArn`): the role may decrypt with it. */
    secretKmsKeyArn?: string;
  };
  /** MB, 128–10240. Default 256. */
  memorySize?: number;
  /** Seconds, 1–900. Default 60. */
  timeoutSeconds?: number;
  /** One of CloudWatch Logs' retention values. Default 30. */
  logRetentionDays?: number;
  /** Default arm64 (the bundle is plain JavaScript). */
  architecture?: 'arm64' | 'x86_64';
};

export class RuntimeTemplateError extends Error {
  override readonly name = 'RuntimeTemplateError';
}

const DEFAULTS = {
  description: 'sfn-redshift runtime: state table, runtime Lambda and Redshift Data completion events',
  memorySize: 256,
  timeoutSeconds: 60,
  logRetentionDays: 30,
  architecture: 'arm64',
  codeKey: 'sfn-redshift/runtime.zip',
} as const;

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
const TEMPLATE_NAME = 'runtime.template.yaml.hbs';

let compiled: HandlebarsTemplateDelegate | undefined;

function template(): HandlebarsTemplateDelegate {
  // A YAML scalar: JSON's double-quoted strings are valid YAML; absent values become ''.
  compiled ??= compileTemplate(TEMPLATE_NAME, {
    yaml: (value: unknown) => JSON.stringify(typeof value === 'string' ? value : ''),
  });
  return compiled;
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max)
    throw new RuntimeTemplateError(`${name} must be an integer from ${min} to ${max}, got ${chosen}`);
  return chosen;
}

function targetDefaults(target: RuntimeTemplateOptions['target']) {
  const t = target ?? {};
  if (t.cluster !== undefined && t.workgroup !== undefined)
    throw new RuntimeTemplateError('target: give cluster or workgroup, not both');
  if (t.dbUser !== undefined && t.secretArn !== undefined)
    throw new RuntimeTemplateError('target: give dbUser or secretArn, not both');
  if (t.workgroup !== undefined && t.dbUser !== undefined)
    throw new RuntimeTemplateError('target: a workgroup takes secretArn or IAM identity, not dbUser');
  for (const [field, value] of Object.entries(t)) {
    if (typeof value !== 'string' || value.includes('${')) {
      throw new RuntimeTemplateError(
        `target.${field}: a literal value is needed for a parameter default, got ${JSON.stringify(value)}`,
      );
    }
  }
  return t;
}

function codeSource(codeUri: string | undefined) {
  if (codeUri === undefined) return { codeFromParameters: true, defaultCodeKey: DEFAULTS.codeKey };
  if (codeUri.trim() === '') throw new RuntimeTemplateError('codeUri must not be empty');
  if (codeUri.startsWith('s3://')) {
    const match = S3_URI.exec(codeUri);
    if (!match) throw new RuntimeTemplateError(`codeUri ${codeUri} is not s3://<bucket>/<key>`);
    return { codeFromS3: true, codeUri, codeBucket: match[1], codeKey: match[2] };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(codeUri))
    throw new RuntimeTemplateError(`codeUri ${codeUri}: only s3:// URIs or local paths`);
  return { codeFromPath: true, codeUri };
}

export function renderRuntimeTemplate(options: RuntimeTemplateOptions = {}): string {
  const timeoutSeconds = integer('timeoutSeconds', options.timeoutSeconds, DEFAULTS.timeoutSeconds, 1, 900);
  const logRetentionDays = options.logRetentionDays ?? DEFAULTS.logRetentionDays;
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new RuntimeTemplateError(
      `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`,
    );
  }
  const architecture = options.architecture ?? DEFAULTS.architecture;
  if (architecture !== 'arm64' && architecture !== 'x86_64')
    throw new RuntimeTemplateError(`architecture must be arm64 or x86_64, got ${String(architecture)}`);
  const text = template()({
    description: options.description ?? DEFAULTS.description,
    target: targetDefaults(options.target),
    memorySize: integer('memorySize', options.memorySize, DEFAULTS.memorySize, 128, 10_240),
    timeoutSeconds,
    // AWS's advice for an SQS event source: at least six times the function timeout.
    visibilityTimeoutSeconds: Math.min(43_200, timeoutSeconds * 6),
    logRetentionDays,
    architecture,
    callbackCompatValues: CALLBACK_COMPAT_VALUES,
    reaperDefinition: JSON.stringify(JSON.parse(renderDefinition(reaperMachine()))),
    ...codeSource(options.codeUri),
  });
  return `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
