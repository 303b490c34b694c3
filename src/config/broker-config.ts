// The broker's configuration: server.properties values plus --override entries, validated against the key table,
// with the derived values (retention from ms/minutes/hours, log dirs, listeners) computed once.

import * as fs from 'node:fs';
import { BROKER_CONFIGS, ConfigDef, IGNORED_KAFKA_KEYS } from './definitions';
import { parseProperties } from './properties';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

const DEFS = new Map<string, ConfigDef>(BROKER_CONFIGS.map((d) => [d.name, d]));
const IGNORED = new Set(IGNORED_KAFKA_KEYS);

export function configDef(name: string): ConfigDef | undefined {
  return DEFS.get(name);
}

/** Checks one value against its definition; returns an error sentence or null. */
export function validateValue(def: ConfigDef, value: string): string | null {
  switch (def.type) {
    case 'int':
    case 'short':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) return `${def.name} must be an integer, got "${value}"`;
      const n = Number(value);
      if (def.type === 'int' && (n > 2147483647 || n < -2147483648)) return `${def.name} is out of range for an int`;
      if (def.type === 'short' && (n > 32767 || n < -32768)) return `${def.name} is out of range for a short`;
      if (def.min !== undefined && n < def.min) return `${def.name} must be at least ${def.min}, got ${value}`;
      return null;
    }
    case 'double': {
      if (value.trim() === '' || Number.isNaN(Number(value))) return `${def.name} must be a number, got "${value}"`;
      if (def.min !== undefined && Number(value) < def.min) return `${def.name} must be at least ${def.min}`;
      return null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? null : `${def.name} must be true or false, got "${value}"`;
    default:
      if (def.oneOf && !def.oneOf.includes(value.trim())) {
        return `${def.name} must be one of ${def.oneOf.join(', ')}, got "${value}"`;
      }
      return null;
  }
}

export class BrokerConfig {
  /** Values given explicitly (file and overrides), by key. */
  readonly explicit: ReadonlyMap<string, string>;
  readonly ignoredKeys: string[];

  private constructor(values: Map<string, string>, ignored: string[]) {
    this.explicit = values;
    this.ignoredKeys = ignored;
  }

  /** Builds a configuration from a properties file (optional) and key=value overrides; throws ConfigError. */
  static load(opts: { file?: string; overrides?: string[]; values?: Record<string, string | number | boolean> }): BrokerConfig {
    const values = new Map<string, string>();
    if (opts.file) {
      let text: string;
      try {
        text = fs.readFileSync(opts.file, 'utf8');
      } catch (e) {
        throw new ConfigError(`cannot read configuration file ${opts.file}: ${(e as Error).message}`);
      }
      for (const [k, v] of parseProperties(text)) values.set(k, v);
    }
    for (const [k, v] of Object.entries(opts.values ?? {})) values.set(k, String(v));
    for (const o of opts.overrides ?? []) {
      const eq = o.indexOf('=');
      if (eq <= 0) throw new ConfigError(`--override takes key=value, got "${o}"`);
      values.set(o.slice(0, eq).trim(), o.slice(eq + 1));
    }
    return BrokerConfig.fromMap(values);
  }

  static fromMap(values: Map<string, string>): BrokerConfig {
    const ignored: string[] = [];
    for (const [k, v] of values) {
      const def = DEFS.get(k);
      if (!def) {
        if (IGNORED.has(k)) {
          ignored.push(k);
          continue;
        }
        throw new ConfigError(`unknown configuration key "${k}"`);
      }
      const err = validateValue(def, v);
      if (err) throw new ConfigError(err);
    }
    for (const k of ignored) values.delete(k);
    const cfg = new BrokerConfig(values, ignored);
    cfg.validateCrossKeys();
    return cfg;
  }

  /** Raw string value: explicit, else default; null when neither. */
  raw(name: string): string | null {
    const def = DEFS.get(name);
    if (!def) throw new Error(`configuration key ${name} is not defined`);
    return this.explicit.get(name) ?? def.default;
  }

  isExplicit(name: string): boolean {
    return this.explicit.has(name);
  }

  str(name: string): string {
    return this.raw(name) ?? '';
  }
  num(name: string): number {
    const v = this.raw(name);
    if (v === null) throw new Error(`configuration key ${name} has no value`);
    // Kafka's Long.MAX_VALUE default means "never": it stays a huge number, never compared for equality.
    return Number(v);
  }
  optNum(name: string): number | null {
    const v = this.raw(name);
    return v === null || v === '' ? null : Number(v);
  }
  bool(name: string): boolean {
    return (this.raw(name) ?? 'false').trim().toLowerCase() === 'true';
  }
  list(name: string): string[] {
    const v = this.raw(name);
    if (v === null) return [];
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  get nodeId(): number {
    return this.isExplicit('node.id') || !this.isExplicit('broker.id') ? this.num('node.id') : this.num('broker.id');
  }
  get logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : [this.str('log.dir')];
  }
  get metadataLogDir(): string {
    return this.raw('metadata.log.dir') ?? this.logDirs[0]!;
  }
  get listeners(): Listener[] {
    return this.list('listeners').map((l) => parseListener(l));
  }
  get advertisedListeners(): Listener[] {
    const adv = this.list('advertised.listeners');
    if (adv.length > 0) return adv.map((l) => parseListener(l));
    return this.listeners
      .filter((l) => !this.list('controller.listener.names').includes(l.name))
      .map((l) => ({ ...l, host: l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? 'localhost' : l.host }));
  }
  /** Client listeners, i.e. the listeners that are not controller listeners. */
  get clientListeners(): Listener[] {
    const ctrl = this.list('controller.listener.names');
    return this.listeners.filter((l) => !ctrl.includes(l.name));
  }
  get retentionMs(): number {
    const ms = this.optNum('log.retention.ms');
    if (ms !== null) return ms;
    const minutes = this.optNum('log.retention.minutes');
    if (minutes !== null) return minutes * 60_000;
    return this.num('log.retention.hours') * 3_600_000;
  }
  get segmentMs(): number {
    return this.optNum('log.roll.ms') ?? this.num('log.roll.hours') * 3_600_000;
  }
  get flushMs(): number {
    return this.optNum('log.flush.interval.ms') ?? Number.MAX_SAFE_INTEGER;
  }
  get processRoles(): string[] {
    return this.list('process.roles');
  }

  /**
   * Topic-level defaults derived from broker keys (e.g. log.retention.ms → retention.ms), in the form
   * DescribeConfigs reports and topic configs override.
   */
  topicDefaults(): Map<string, string> {
    const out = new Map<string, string>();
    for (const def of BROKER_CONFIGS) {
      if (!def.topicKey) continue;
      const v = this.raw(def.name);
      if (v !== null) out.set(def.topicKey, v);
    }
    out.set('retention.ms', String(this.retentionMs));
    out.set('segment.ms', String(this.segmentMs));
    if (this.raw('log.flush.interval.ms') === null) out.set('flush.ms', '9223372036854775807');
    return out;
  }

  private validateCrossKeys(): void {
    for (const l of this.list('listeners')) parseListener(l);
    for (const l of this.list('advertised.listeners')) parseListener(l);
    const roles = this.processRoles;
    // A controller-only node serves its controller listener alone.
    if (this.clientListeners.length === 0 && roles.includes('broker')) throw new ConfigError('listeners must name at least one client listener');
    for (const r of roles) {
      if (r !== 'broker' && r !== 'controller') throw new ConfigError(`process.roles: unknown role "${r}"`);
    }
    if (roles.length === 0) throw new ConfigError('process.roles must name broker, controller or both');
    for (const p of this.list('listener.security.protocol.map')) {
      const proto = p.split(':')[1];
      if (proto !== 'PLAINTEXT') throw new ConfigError(`security protocol ${proto} is not supported (only PLAINTEXT)`);
    }
  }
}

/** Parses NAME://host:port (host may be empty, an IPv4 address, a name, or [IPv6]). */
export function parseListener(s: string): Listener {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(s.trim());
  if (!m) throw new ConfigError(`listener "${s}" is not of the form NAME://host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`listener "${s}" has an invalid port`);
  let host = m[2]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { name: m[1]!.toUpperCase(), host, port };
}
