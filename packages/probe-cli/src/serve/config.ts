import { parse } from 'yaml';
import { formatDuration, OPTIONS, orList, parseDuration, tlsVersionsOf, UsageError } from '../options.js';
import { SCOPES } from '../scope.js';
import type { Module } from './exporter.js';

/** The modules file: named probing profiles and an optional allow-list. Unknown keys are errors. */
export interface ExporterConfig {
  readonly modules: Record<string, Module>;
  readonly allow: string[];
}

const MODULE_KEYS = new Set([
  'tls',
  'key_types',
  'attempts',
  'timeout',
  'retry_delay',
  'live',
  'crl',
  'http',
  'warn_remaining',
  'crit_remaining',
  'scope',
  'starttls',
]);

function tlsOf(value: unknown, where: string): Module['tlsVersions'] {
  const choice = OPTIONS.tls.choices.find((c) => c === String(value));
  if (choice === undefined) throw new UsageError(`${where}: tls must be ${orList(OPTIONS.tls.choices)}`);
  return tlsVersionsOf(choice);
}

function keyTypesOf(value: unknown, where: string): Module['keyTypes'] {
  const choice = OPTIONS['key-types'].choices.find((c) => c === value);
  if (choice === undefined) throw new UsageError(`${where}: key_types must be ${orList(OPTIONS['key-types'].choices)}`);
  return choice;
}

function scopeOf(value: unknown, where: string): Module['scope'] {
  const choice = SCOPES.find((c) => c === value);
  if (choice === undefined) throw new UsageError(`${where}: scope must be ${orList(SCOPES)}`);
  return choice;
}

function starttlsOf(value: unknown, where: string): Module['starttls'] {
  const choice = OPTIONS.starttls.choices.find((c) => c === String(value).toLowerCase());
  if (choice === undefined) throw new UsageError(`${where}: starttls must be ${orList(OPTIONS.starttls.choices)}`);
  return choice;
}

function seconds(value: unknown, where: string): number {
  if (typeof value === 'number' && value >= 0) return value;
  return parseDuration(String(value), where);
}

/** Build a module from YAML fields over the defaults (which come from the command-line flags). */
export function moduleFrom(fields: Record<string, unknown>, defaults: Module, where: string): Module {
  for (const key of Object.keys(fields))
    if (!MODULE_KEYS.has(key)) throw new UsageError(`${where}: unknown key "${key}" (a module takes ${orList([...MODULE_KEYS])})`);
  // The same limits as the command-line flags; the file gives durations where the flags take ms.
  const { attempts: tries, timeout, 'retry-delay': delay } = OPTIONS;
  const attempts = fields.attempts ?? defaults.attempts;
  if (!Number.isInteger(attempts) || (attempts as number) < tries.min || (attempts as number) > tries.max)
    throw new UsageError(`${where}: attempts must be ${tries.min} to ${tries.max}`);
  if (fields.live !== undefined && typeof fields.live !== 'boolean') throw new UsageError(`${where}: live must be true or false`);
  if (fields.http !== undefined && typeof fields.http !== 'boolean') throw new UsageError(`${where}: http must be true or false`);
  if (fields.crl !== undefined && typeof fields.crl !== 'boolean') throw new UsageError(`${where}: crl must be true or false`);
  const timeoutMs = fields.timeout !== undefined ? seconds(fields.timeout, `${where}: timeout`) * 1000 : defaults.timeoutMs;
  if (timeoutMs < timeout.min || timeoutMs > timeout.max) {
    throw new UsageError(`${where}: timeout must be ${formatDuration(timeout.min / 1000)} to ${formatDuration(timeout.max / 1000)} (a bare number is seconds)`);
  }
  const retryDelayMs = fields.retry_delay !== undefined ? seconds(fields.retry_delay, `${where}: retry_delay`) * 1000 : defaults.retryDelayMs;
  if (retryDelayMs > delay.max) throw new UsageError(`${where}: retry_delay must be at most ${formatDuration(delay.max / 1000)}`);
  return {
    tlsVersions: fields.tls !== undefined ? tlsOf(fields.tls, where) : defaults.tlsVersions,
    keyTypes: fields.key_types !== undefined ? keyTypesOf(fields.key_types, where) : defaults.keyTypes,
    attempts: attempts as number,
    timeoutMs,
    retryDelayMs,
    live: (fields.live as boolean | undefined) ?? defaults.live,
    crl: (fields.crl as boolean | undefined) ?? defaults.crl,
    httpHead: (fields.http as boolean | undefined) ?? defaults.httpHead,
    warnRemainingSeconds: fields.warn_remaining !== undefined ? seconds(fields.warn_remaining, `${where}: warn_remaining`) : defaults.warnRemainingSeconds,
    critRemainingSeconds: fields.crit_remaining !== undefined ? seconds(fields.crit_remaining, `${where}: crit_remaining`) : defaults.critRemainingSeconds,
    scope: fields.scope !== undefined ? scopeOf(fields.scope, where) : defaults.scope,
    starttls: fields.starttls !== undefined ? starttlsOf(fields.starttls, where) : defaults.starttls,
  };
}

/** A module as the keys of the modules file (the debug output shows it so). */
export function moduleYaml(module: Module): string {
  const tls = module.tlsVersions.length === 1 ? `"${module.tlsVersions[0]}"` : 'both';
  return [
    `tls: ${tls}`,
    `key_types: ${module.keyTypes}`,
    `attempts: ${module.attempts}`,
    `timeout: ${formatDuration(module.timeoutMs / 1000)}`,
    `retry_delay: ${formatDuration(module.retryDelayMs / 1000)}`,
    `live: ${module.live}`,
    `crl: ${module.crl}`,
    `http: ${module.httpHead}`,
    `warn_remaining: ${formatDuration(module.warnRemainingSeconds)}`,
    `crit_remaining: ${formatDuration(module.critRemainingSeconds)}`,
    `scope: ${module.scope}`,
    `starttls: ${module.starttls}`,
  ].join('\n');
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseConfig(text: string, source: string, defaults: Module): ExporterConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not valid YAML: ${(error as Error).message.split('\n')[0]?.replace(/:$/, '')}`);
  }
  const root = doc ?? {};
  if (!isMapping(root)) throw new UsageError(`${source}: expected a mapping with "modules" and "allow"`);
  for (const key of Object.keys(root))
    if (key !== 'modules' && key !== 'allow') throw new UsageError(`${source}: unknown key "${key}" (the file takes modules and allow)`);
  const modules: Record<string, Module> = { default: defaults };
  const named = root.modules ?? {};
  if (!isMapping(named)) throw new UsageError(`${source}: modules must be a mapping of module names to their keys`);
  for (const [name, fields] of Object.entries(named)) {
    if (!/^[\w.-]+$/.test(name)) throw new UsageError(`${source}: module name "${name}" may use letters, digits, _ . - only`);
    const body = fields ?? {};
    if (!isMapping(body)) throw new UsageError(`${source}: modules.${name} must be a mapping of keys (tls, attempts, …)`);
    modules[name] = moduleFrom(body, defaults, `${source}: modules.${name}`);
  }
  const allow = root.allow ?? [];
  if (!Array.isArray(allow) || allow.some((a) => typeof a !== 'string')) throw new UsageError(`${source}: allow must be a list of host names and CIDRs`);
  return { modules, allow: allow as string[] };
}
