// Generates the TypeScript wire codecs in src/wire/generated/ from Apache Kafka's JSON message schemas.
//
//   npm run gen                      (schemas from ../shared/kafka-protocol relative to the repo root)
//   node scripts/gen-protocol.mjs DIR  (schemas from DIR)
//
// The JSON is only an input: the generated TypeScript is committed and the schemas are not. Every decision that
// depends on a version is made here, so the emitted code is plain straight-line reads and writes guarded by
// `version` comparisons; nothing interprets a schema at run time. Output is deterministic (files and fields in a
// stable order) so regenerating without schema changes leaves git clean.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA_ROOT = resolve(process.argv[2] ?? join(REPO, '../shared/kafka-protocol'));
const OUT = join(REPO, 'src/wire/generated');

/** Schema directory → output sub-directory. Missing directories are skipped. */
const GROUPS = [
  { src: 'messages', out: 'messages' },
  { src: 'metadata-records', out: 'metadata' },
  { src: 'group-coordinator-records', out: 'groupcoord' },
  { src: 'transaction-coordinator-records', out: 'txn' },
  { src: 'raft-records', out: 'raft' },
];

// Versions are int16 on the wire; an open range "N+" ends here.
const MAX_VERSION = 32767;

const FIXED_SIZE = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16 };
const PRIMITIVES = new Set([...Object.keys(FIXED_SIZE), 'string', 'bytes', 'records']);
const INT_RANGE = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const READ_FIXED = {
  bool: 'readBool',
  int8: 'readInt8',
  int16: 'readInt16',
  uint16: 'readUint16',
  int32: 'readInt32',
  uint32: 'readUint32',
  int64: 'readInt64',
  float64: 'readFloat64',
  uuid: 'readUuid',
};
const WRITE_FIXED = {
  bool: 'writeBool',
  int8: 'writeInt8',
  int16: 'writeInt16',
  uint16: 'writeUint16',
  int32: 'writeInt32',
  uint32: 'writeUint32',
  int64: 'writeInt64',
  float64: 'writeFloat64',
  uuid: 'writeUuid',
};

// ---------------------------------------------------------------------------------------------------------------
// Schema loading

/** Kafka's schema files are JSON with `//` line comments. Comments are dropped only outside string literals. */
export function stripComments(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** "N+" / "N-M" / "N" / "none" → [lo, hi] or null (no versions). */
function parseVersions(spec, what) {
  const s = String(spec).trim();
  if (s === 'none') return null;
  let m;
  if ((m = /^(\d+)\+$/.exec(s))) return [Number(m[1]), MAX_VERSION];
  if ((m = /^(\d+)-(\d+)$/.exec(s))) return [Number(m[1]), Number(m[2])];
  if (/^\d+$/.test(s)) return [Number(s), Number(s)];
  throw new Error(`${what}: bad version spec ${JSON.stringify(spec)}`);
}

const inRange = (range, v) => range !== null && range !== undefined && v >= range[0] && v <= range[1];
const lcFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);
const quote = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

function loadSchema(file) {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(stripComments(text));
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Model: a message is a tree of structs; each struct has fields with their version ranges resolved.

function buildMessage(schema, file) {
  const name = schema.name;
  const valid = parseVersions(schema.validVersions, `${name}.validVersions`);
  if (valid === null) throw new Error(`${name}: no valid versions`);
  const flexible = parseVersions(schema.flexibleVersions ?? 'none', `${name}.flexibleVersions`);
  if (flexible !== null && flexible[1] !== MAX_VERSION) throw new Error(`${name}: flexibleVersions must be open-ended`);
  const ctx = {
    name,
    file,
    valid,
    flexible,
    structs: [],
    byName: new Map(),
    common: new Map((schema.commonStructs ?? []).map((s) => [s.name, s])),
    tsNames: new Set([name]),
  };
  const top = buildStruct(ctx, name, schema.fields ?? [], true);
  top.reach = [...valid];
  computeReach(ctx);
  return {
    name,
    file: file.split('/').pop(),
    type: schema.type,
    apiKey: schema.apiKey ?? -1,
    listeners: schema.listeners ?? [],
    latestVersionUnstable: schema.latestVersionUnstable === true,
    valid,
    flexible,
    flexibleMin: flexible === null ? -1 : flexible[0],
    ctx,
    top,
  };
}

/** Nested struct names are prefixed by the message name (unless they already start with it) so none collide. */
function structTsName(msg, struct) {
  return struct.startsWith(msg) ? struct : msg + struct;
}

function buildStruct(ctx, schemaName, fields, isTop) {
  const tsName = isTop ? ctx.name : structTsName(ctx.name, schemaName);
  if (!isTop) {
    if (ctx.byName.has(schemaName)) throw new Error(`${ctx.name}: struct ${schemaName} defined twice`);
    if (ctx.tsNames.has(tsName)) throw new Error(`${ctx.name}: struct name ${tsName} collides`);
    ctx.tsNames.add(tsName);
  }
  const struct = { schemaName, tsName, fields: [], isTop, reach: null, needsIsDefault: false };
  if (!isTop) ctx.byName.set(schemaName, struct);
  ctx.structs.push(struct);
  const props = new Set();
  for (const f of fields) {
    const field = buildField(ctx, struct, f);
    if (props.has(field.prop)) throw new Error(`${ctx.name}.${schemaName}: duplicate field ${field.prop}`);
    props.add(field.prop);
    struct.fields.push(field);
  }
  const tags = new Set();
  for (const f of struct.fields) {
    if (f.tagged === null) continue;
    if (tags.has(f.tag)) throw new Error(`${ctx.name}.${schemaName}: duplicate tag ${f.tag}`);
    tags.add(f.tag);
  }
  return struct;
}

function resolveStruct(ctx, typeName, inlineFields) {
  if (inlineFields) return buildStruct(ctx, typeName, inlineFields, false);
  const known = ctx.byName.get(typeName);
  if (known) return known;
  const common = ctx.common.get(typeName);
  if (!common) throw new Error(`${ctx.name}: unknown struct type ${typeName}`);
  return buildStruct(ctx, typeName, common.fields ?? [], false);
}

function buildField(ctx, owner, f) {
  const where = owner.isTop ? `${ctx.name}.${f.name}` : `${ctx.name}.${owner.schemaName}.${f.name}`;
  // A tagged field may omit "versions"; Kafka then takes its tagged versions as its versions.
  const versions = parseVersions(f.versions ?? f.taggedVersions, `${where}.versions`);
  const nullable = f.nullableVersions === undefined ? null : parseVersions(f.nullableVersions, `${where}.nullable`);
  const tagged = f.taggedVersions === undefined ? null : parseVersions(f.taggedVersions, `${where}.tagged`);
  const fieldFlexible = f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, where);
  // A few schemas quote the tag ("tag": "0").
  const tag = f.tag === undefined ? -1 : Number(f.tag);
  if (tagged !== null && !(Number.isInteger(tag) && tag >= 0)) throw new Error(`${where}: bad or missing tag`);
  if (tagged === null && f.tag !== undefined) throw new Error(`${where}: tag without taggedVersions`);
  if (tagged !== null && tagged[1] !== MAX_VERSION) throw new Error(`${where}: taggedVersions must be open-ended`);

  let type = f.type;
  const isArray = type.startsWith('[]');
  if (isArray) type = type.slice(2);
  const prim = PRIMITIVES.has(type) ? type : null;
  const struct = prim === null ? resolveStruct(ctx, type, f.fields) : null;
  if (prim !== null && f.fields) throw new Error(`${where}: primitive type with fields`);
  if (isArray && prim === 'records') throw new Error(`${where}: arrays of records are not supported`);
  const nullableKind = isArray || struct !== null || prim === 'string' || prim === 'bytes' || prim === 'records';
  if (nullable !== null && !nullableKind) throw new Error(`${where}: type ${f.type} cannot be nullable`);
  if (tagged !== null && prim === 'records' && !isArray) throw new Error(`${where}: records cannot be tagged`);

  const field = {
    name: f.name,
    prop: lcFirst(f.name),
    isArray,
    prim,
    struct,
    versions,
    nullable,
    tagged,
    tag,
    fieldFlexible,
    where,
  };
  field.defaultValue = parseDefault(field, f.default);
  field.tsNullable = nullable !== null || field.defaultValue === null || (prim === 'records' && !isArray);
  return field;
}

/**
 * The schema default as a JS value: number/boolean/string, null, or a marker object for the "empty" defaults of
 * arrays ({ empty: 'array' }), bytes ({ empty: 'bytes' }), uuid ({ empty: 'uuid' }) and structs ({ empty: 'struct' }).
 */
function parseDefault(field, raw) {
  const { where, prim } = field;
  // Some schemas write defaults as JSON booleans/numbers rather than strings.
  const d = raw === undefined ? undefined : raw === null ? 'null' : String(raw);
  if (field.isArray) {
    if (d === 'null') return requireNullable(field, null);
    if (d !== undefined && d !== '') throw new Error(`${where}: arrays cannot have default ${d}`);
    return { empty: 'array' };
  }
  if (field.struct !== null) {
    if (d === 'null') return requireNullable(field, null);
    if (d !== undefined) throw new Error(`${where}: structs cannot have default ${d}`);
    return { empty: 'struct' };
  }
  switch (prim) {
    case 'bool':
      if (d === undefined || d === 'false') return false;
      if (d === 'true') return true;
      throw new Error(`${where}: bad bool default ${d}`);
    case 'float64': {
      if (d === undefined) return 0;
      const n = Number(d);
      if (!Number.isFinite(n)) throw new Error(`${where}: bad float default ${d}`);
      return n;
    }
    case 'string':
      if (d === undefined) return '';
      if (d === 'null') return requireNullable(field, null);
      return String(d);
    case 'uuid':
      if (d !== undefined) throw new Error(`${where}: uuid defaults are not supported`);
      return { empty: 'uuid' };
    case 'bytes':
      if (d === 'null') return requireNullable(field, null);
      if (d !== undefined) throw new Error(`${where}: bytes cannot have default ${d}`);
      return { empty: 'bytes' };
    case 'records':
      // Kafka's records fields default to null whatever their nullability.
      return null;
    default: {
      if (d === undefined) return 0;
      const n = parseInteger(String(d).trim(), where);
      const [lo, hi] = INT_RANGE[prim];
      if (n < lo || n > hi) throw new Error(`${where}: default ${d} out of range for ${prim}`);
      return n;
    }
  }
}

function requireNullable(field, v) {
  if (field.nullable === null) throw new Error(`${field.where}: null default on a non-nullable field`);
  return v;
}

/** Integer defaults follow Java's Long.decode: optional sign, then 0x hex, leading-0 octal, or decimal. */
function parseInteger(s, where) {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]+|\d+)$/.exec(s);
  if (!m) throw new Error(`${where}: bad integer default ${s}`);
  const body = m[2];
  let n;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body[0] === '0') n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  return m[1] === '-' ? -n : n;
}

/** The versions in which each struct can be reached, so conditions inside it skip versions that never occur. */
function computeReach(ctx) {
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of ctx.structs) {
      if (s.reach === null) continue;
      for (const f of s.fields) {
        if (f.struct === null || f.versions === null) continue;
        const lo = Math.max(s.reach[0], f.versions[0]);
        const hi = Math.min(s.reach[1], f.versions[1]);
        if (lo > hi) continue;
        const t = f.struct;
        const next = t.reach === null ? [lo, hi] : [Math.min(t.reach[0], lo), Math.max(t.reach[1], hi)];
        if (t.reach === null || next[0] !== t.reach[0] || next[1] !== t.reach[1]) {
          t.reach = next;
          changed = true;
        }
      }
    }
  }
  // A struct only used in versions outside validVersions still gets codecs; give it the message's range.
  for (const s of ctx.structs) if (s.reach === null) s.reach = [...ctx.valid];
}

// ---------------------------------------------------------------------------------------------------------------
// Per-version facts

const isFlexible = (ctx, v) => inRange(ctx.flexible, v);
const fieldFlexible = (ctx, f, v) => isFlexible(ctx, v) && (f.fieldFlexible === undefined || inRange(f.fieldFlexible, v));
const present = (f, v) => inRange(f.versions, v);
const nullableAt = (f, v) => inRange(f.nullable, v);

function taggedAt(ctx, f, v) {
  if (!present(f, v) || !inRange(f.tagged, v)) return false;
  if (!isFlexible(ctx, v)) throw new Error(`${f.where}: tagged in non-flexible version ${v}`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Emission helpers

/** Indents every line of a block by one level. */
const indent = (lines) => lines.map((l) => (l === '' ? l : `  ${l}`));

/** A statement as a single line when it safely can be one (no nested if/for whose else could dangle). */
function asBranch(head, lines) {
  if (lines.length === 1 && !/^(if|for|const|let)\b/.test(lines[0])) return [`${head} ${lines[0]}`];
  // A statement that already is a block becomes the branch body instead of nesting braces.
  if (lines[0] === '{' && lines[lines.length - 1] === '}') return [`${head} {`, ...lines.slice(1, -1), '}'];
  return [`${head} {`, ...indent(lines), '}'];
}

/** Appends lines that start with `else`, joining them onto the closing brace of the branch before, if any. */
function appendElse(out, lines) {
  if (out[out.length - 1] === '}') {
    out.pop();
    out.push(`} ${lines[0]}`, ...lines.slice(1));
  } else out.push(...lines);
}

function pushBranch(out, head, lines) {
  const branch = asBranch(head, lines);
  if (head.startsWith('else')) appendElse(out, branch);
  else out.push(...branch);
}

/**
 * Emits an if / else-if chain choosing, for each version in [lo, hi], the statement linesFor(v) returns (null or
 * [] for "nothing"). Consecutive versions with identical statements share a branch. Conditions use the fewest
 * comparisons: a branch needs no upper bound when every higher version was taken by an earlier branch of the
 * chain, and no lower bound when it reaches `lo` (versions outside [lo, hi] never reach this code).
 */
function versionChain(lo, hi, linesFor, extraCond = '') {
  const runs = [];
  for (let v = lo; v <= hi; v++) {
    const lines = linesFor(v) ?? [];
    const key = lines.join('\n');
    const last = runs[runs.length - 1];
    if (last && last.key === key) last.b = v;
    else runs.push({ a: v, b: v, key, lines });
  }
  const out = [];
  let coveredAbove = true;
  let first = true;
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i];
    if (run.lines.length === 0) {
      coveredAbove = false;
      continue;
    }
    const conds = [];
    if (extraCond) conds.push(extraCond);
    const needLo = run.a > lo;
    const needHi = !coveredAbove && run.b < hi;
    if (needLo && needHi && run.a === run.b) conds.push(`version === ${run.a}`);
    else {
      if (needLo) conds.push(`version >= ${run.a}`);
      if (needHi) conds.push(`version <= ${run.b}`);
    }
    const cond = conds.join(' && ');
    if (cond === '') {
      if (first) out.push(...run.lines);
      else pushBranch(out, 'else', run.lines);
      // An unconditional branch ends the chain: no lower version can reach past it.
      break;
    }
    pushBranch(out, first ? `if (${cond})` : `else if (${cond})`, run.lines);
    first = false;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// TypeScript types and defaults

function primTs(prim) {
  switch (prim) {
    case 'bool':
      return 'boolean';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
      return 'Buffer';
    case 'records':
      return 'Buffer | Buffer[] | null';
    default:
      return 'number';
  }
}

function tsType(f) {
  const n = f.tsNullable ? ' | null' : '';
  if (f.isArray) return `${f.struct ? f.struct.tsName : primTs(f.prim)}[]${n}`;
  if (f.prim === 'records') return primTs('records');
  if (f.struct) return f.struct.tsName + n;
  return primTs(f.prim) + n;
}

function literal(v) {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  return String(v);
}

function defaultExpr(f) {
  const d = f.defaultValue;
  if (d === null) return 'null';
  if (typeof d !== 'object') return literal(d);
  switch (d.empty) {
    case 'array':
      return '[]';
    case 'bytes':
      return 'Buffer.alloc(0)';
    case 'uuid':
      return 'ZERO_UUID';
    case 'struct':
      return `default${f.struct.tsName}()`;
  }
  throw new Error(`${f.where}: no default`);
}

/**
 * True-expression when `x` differs from the field's default; tagged fields are written only then (as Kafka does).
 * Marks structs that need an isDefault function.
 */
function nonDefaultCond(f, x) {
  const d = f.defaultValue;
  if (d === null) return `${x} !== null`;
  if (typeof d !== 'object') return `${x} !== ${literal(d)}`;
  const orNull = f.tsNullable ? `${x} === null || ` : '';
  switch (d.empty) {
    case 'array':
    case 'bytes':
      return `${orNull}${x}.length !== 0`;
    case 'uuid':
      return `${x} !== ZERO_UUID`;
    case 'struct':
      markIsDefault(f.struct);
      return `${orNull}!isDefault${f.struct.tsName}(${x})`;
  }
  throw new Error(`${f.where}: no default`);
}

/** Condition that `x` equals the field's default (the inverse of nonDefaultCond, used by isDefault functions). */
function isDefaultCond(f, x) {
  const d = f.defaultValue;
  if (d === null) return `${x} === null`;
  if (typeof d !== 'object') return `${x} === ${literal(d)}`;
  const notNull = f.tsNullable ? `${x} !== null && ` : '';
  switch (d.empty) {
    case 'array':
    case 'bytes':
      return `${notNull}${x}.length === 0`;
    case 'uuid':
      return `${x} === ZERO_UUID`;
    case 'struct':
      markIsDefault(f.struct);
      return `${notNull}isDefault${f.struct.tsName}(${x})`;
  }
  throw new Error(`${f.where}: no default`);
}

function markIsDefault(struct) {
  if (struct.needsIsDefault) return;
  struct.needsIsDefault = true;
  for (const f of struct.fields) if (f.struct && f.defaultValue !== null && !f.isArray) markIsDefault(f.struct);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

function readElemExpr(f, flex) {
  if (f.struct) return `decode${f.struct.tsName}(r, version)`;
  if (f.prim === 'string') return flex ? 'r.readCompactString()' : 'r.readString()';
  if (f.prim === 'bytes') return flex ? 'r.readCompactBytes()' : 'r.readBytes()';
  return `r.${READ_FIXED[f.prim]}()`;
}

/** Statements reading field f at version v into `m.<prop>`. */
function decodeLines(ctx, f, v, flex) {
  const target = `m.${f.prop}`;
  const nl = nullableAt(f, v);
  if (f.isArray) {
    const elemTs = f.struct ? f.struct.tsName : primTs(f.prim);
    const lines = [`const n = ${flex ? 'r.readCompactArrayLength()' : 'r.readArrayLength()'};`];
    const fill = [
      `const a: ${elemTs}[] = [];`,
      `for (let i = 0; i < n; i++) a.push(${readElemExpr(f, flex)});`,
      `${target} = a;`,
    ];
    if (nl) lines.push(`if (n < 0) ${target} = null;`, 'else {', ...indent(fill), '}');
    else lines.push(`if (n < 0) throw new ProtocolError('null array in non-nullable field ${f.where}');`, ...fill);
    return ['{', ...indent(lines), '}'];
  }
  if (f.struct) {
    const call = `decode${f.struct.tsName}(r, version)`;
    return [nl ? `${target} = r.readInt8() < 0 ? null : ${call};` : `${target} = ${call};`];
  }
  switch (f.prim) {
    case 'string':
      return [`${target} = r.read${flex ? 'Compact' : ''}${nl ? 'Nullable' : ''}String();`];
    case 'bytes':
    case 'records':
      return [`${target} = r.read${flex ? 'Compact' : ''}${nl ? 'Nullable' : ''}Bytes();`];
    default:
      return [`${target} = r.${READ_FIXED[f.prim]}();`];
  }
}

function emitDecode(ctx, s) {
  const [lo, hi] = s.reach;
  const body = [`const m = default${s.tsName}();`];
  for (const f of s.fields) {
    body.push(
      ...versionChain(lo, hi, (v) =>
        present(f, v) && !taggedAt(ctx, f, v) ? decodeLines(ctx, f, v, fieldFlexible(ctx, f, v)) : null,
      ),
    );
  }
  // Tagged fields close every struct in flexible versions.
  const tagged = s.fields.filter((f) => f.tagged !== null).sort((a, b) => a.tag - b.tag);
  const flexLo = ctx.flexible === null ? Infinity : Math.max(lo, ctx.flexible[0]);
  let knownInFlex = false;
  for (let v = flexLo; v <= hi; v++) if (tagged.some((f) => taggedAt(ctx, f, v))) knownInFlex = true;
  let tagBlock;
  if (!knownInFlex) {
    tagBlock = ['r.skipTaggedFields();'];
  } else {
    const dispatch = [];
    for (const f of tagged) {
      const chain = versionChain(flexLo, hi, (v) => (taggedAt(ctx, f, v) ? decodeLines(ctx, f, v, true) : null), `tag === ${f.tag}`);
      if (chain.length === 0) continue;
      // Continue the chain across tags: each tag's first branch becomes an else-if of the previous tag's last one.
      if (dispatch.length > 0) appendElse(dispatch, [`else ${chain[0]}`, ...chain.slice(1)]);
      else dispatch.push(...chain);
    }
    appendElse(dispatch, ['else {', '  r.skip(size);', '  continue;', '}']);
    tagBlock = [
      'const nt = r.readUnsignedVarint();',
      'for (let k = 0; k < nt; k++) {',
      ...indent([
        'const tag = r.readUnsignedVarint();',
        'const size = r.readUnsignedVarint();',
        'const end = r.pos + size;',
        ...dispatch,
        `if (r.pos !== end) throw new ProtocolError(\`tagged field \${tag} of ${s.tsName}: size mismatch\`);`,
      ]),
      '}',
    ];
  }
  body.push(...versionChain(lo, hi, (v) => (isFlexible(ctx, v) ? tagBlock : null)));
  body.push('return m;');
  return [
    `export function decode${s.tsName}(r: Reader, version: number): ${s.tsName} {`,
    ...indent(body),
    '}',
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

function writeElemLines(f, flex, w, e) {
  if (f.struct) return `encode${f.struct.tsName}(${w}, version, ${e});`;
  if (f.prim === 'string') return `${w}.write${flex ? 'Compact' : ''}String(${e});`;
  if (f.prim === 'bytes') return `${w}.write${flex ? 'Compact' : ''}Bytes(${e});`;
  return `${w}.${WRITE_FIXED[f.prim]}(${e});`;
}

/** `x`, checked non-null when the TS type admits null but this version cannot carry it. */
function nonNullExpr(f, x) {
  return f.tsNullable ? `nonNull(${x}, '${f.where}')` : x;
}

/** Statements writing field f (value `m.<prop>`) at version v to writer `w`. */
function encodeLines(ctx, f, v, flex, w) {
  const x = `m.${f.prop}`;
  const nl = nullableAt(f, v);
  if (f.isArray) {
    const len = flex ? 'writeCompactArrayLength' : 'writeArrayLength';
    const write = (a) => [`${w}.${len}(${a}.length);`, `for (const e of ${a}) ${writeElemLines(f, flex, w, 'e')}`];
    if (nl) return [`if (${x} === null) ${w}.${len}(-1);`, 'else {', ...indent(write(x)), '}'];
    if (f.tsNullable) return ['{', ...indent([`const a = ${nonNullExpr(f, x)};`, ...write('a')]), '}'];
    return write(x);
  }
  if (f.struct) {
    const call = (e) => `encode${f.struct.tsName}(${w}, version, ${e});`;
    if (nl) return [`if (${x} === null) ${w}.writeInt8(-1);`, 'else {', `  ${w}.writeInt8(1);`, `  ${call(x)}`, '}'];
    return [call(nonNullExpr(f, x))];
  }
  switch (f.prim) {
    case 'string':
    case 'bytes': {
      const kind = f.prim === 'string' ? 'String' : 'Bytes';
      const c = flex ? 'Compact' : '';
      return nl ? [`${w}.write${c}Nullable${kind}(${x});`] : [`${w}.write${c}${kind}(${nonNullExpr(f, x)});`];
    }
    case 'records':
      return [`${w}.writeRecords(${nl ? x : nonNullExpr(f, x)}, ${flex});`];
    default:
      return [`${w}.${WRITE_FIXED[f.prim]}(${x});`];
  }
}

/** The tagged-field section of a struct at flexible version v: count, then each non-default field by tag. */
function taggedEncodeLines(ctx, s, v) {
  const fields = s.fields.filter((f) => taggedAt(ctx, f, v)).sort((a, b) => a.tag - b.tag);
  if (fields.length === 0) return ['w.writeUnsignedVarint(0);'];
  const conds = fields.map((f) => nonDefaultCond(f, `m.${f.prop}`));
  const out = ['let nt = 0;', ...conds.map((c) => `if (${c}) nt++;`), 'w.writeUnsignedVarint(nt);'];
  fields.forEach((f, i) => {
    let body;
    const fixed = !f.isArray && f.prim !== null ? FIXED_SIZE[f.prim] : undefined;
    if (fixed !== undefined) {
      body = [`w.writeUnsignedVarint(${f.tag}).writeUnsignedVarint(${fixed});`, ...encodeLines(ctx, f, v, true, 'w')];
    } else {
      // Variable-size values are written to a scratch writer first: the size prefix comes before the data.
      body = [
        'const t = new Writer();',
        ...encodeLines(ctx, f, v, true, 't'),
        'const b = t.toBuffer();',
        `w.writeUnsignedVarint(${f.tag}).writeUnsignedVarint(b.length).writeRaw(b);`,
      ];
    }
    out.push(`if (${conds[i]}) {`, ...indent(body), '}');
  });
  return out;
}

function emitEncode(ctx, s) {
  const [lo, hi] = s.reach;
  const body = [];
  for (const f of s.fields) {
    body.push(
      ...versionChain(lo, hi, (v) =>
        present(f, v) && !taggedAt(ctx, f, v) ? encodeLines(ctx, f, v, fieldFlexible(ctx, f, v), 'w') : null,
      ),
    );
  }
  body.push(...versionChain(lo, hi, (v) => (isFlexible(ctx, v) ? taggedEncodeLines(ctx, s, v) : null)));
  return [
    `export function encode${s.tsName}(w: Writer, version: number, m: ${s.tsName}): void {`,
    ...indent(body),
    '}',
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Files

function header(source) {
  return [
    `// Generated by scripts/gen-protocol.mjs from Apache Kafka's message schema ${source}.`,
    '// Do not edit: change the generator and run `npm run gen`.',
  ];
}

function emitMessage(msg, group) {
  const { ctx } = msg;
  const parts = [];
  for (const s of ctx.structs) {
    parts.push('');
    parts.push(`export interface ${s.tsName} {`);
    for (const f of s.fields) parts.push(`  ${f.prop}: ${tsType(f)};`);
    parts.push('}');
  }
  parts.push('');
  // Schemas without an API key (data, header and coordinator record types) have no apiKey in their Meta.
  const meta = [
    ...(msg.apiKey >= 0 ? [`  apiKey: ${msg.apiKey},`] : []),
    `  name: '${msg.name}',`,
    `  type: '${msg.type}',`,
    `  validVersions: [${msg.valid[0]}, ${msg.valid[1]}],`,
    `  flexibleMin: ${msg.flexibleMin},`,
  ];
  parts.push(`export const ${msg.name}Meta = {`, ...meta, '} as const;');

  const fnParts = [];
  for (const s of ctx.structs) {
    fnParts.push('');
    fnParts.push(`export function default${s.tsName}(): ${s.tsName} {`);
    if (s.fields.length === 0) fnParts.push('  return {};');
    else {
      fnParts.push('  return {');
      for (const f of s.fields) fnParts.push(`    ${f.prop}: ${defaultExpr(f)},`);
      fnParts.push('  };');
    }
    fnParts.push('}');
    fnParts.push('', ...emitDecode(ctx, s));
    fnParts.push('', ...emitEncode(ctx, s));
  }
  // isDefault functions are only known to be needed once the encoders are emitted.
  const isDefaultParts = [];
  for (let done = new Set(), more = true; more; ) {
    more = false;
    for (const s of ctx.structs) {
      if (!s.needsIsDefault || done.has(s)) continue;
      done.add(s);
      more = true;
      const conds = s.fields.map((f) => isDefaultCond(f, `s.${f.prop}`));
      isDefaultParts.push('', `/** Whether every field holds its default (a tagged ${s.tsName} equal to it is not written). */`);
      isDefaultParts.push(`export function isDefault${s.tsName}(s: ${s.tsName}): boolean {`);
      isDefaultParts.push(conds.length === 0 ? '  return true;' : `  return (\n    ${conds.join(' &&\n    ')}\n  );`);
      isDefaultParts.push('}');
    }
  }

  const code = [...parts, ...fnParts, ...isDefaultParts].join('\n');
  const primImports = ['Reader', 'Writer'];
  if (/\bZERO_UUID\b/.test(code)) primImports.push('ZERO_UUID');
  const imports = [`import { ${primImports.join(', ')} } from '../../primitives';`];
  if (/\bProtocolError\b/.test(code)) imports.unshift(`import { ProtocolError } from '../../errors';`);
  if (/\bnonNull\(/.test(code)) imports.push(`import { nonNull } from '../runtime';`);
  return [...header(`${group.src}/${msg.file}`), '', ...imports, code, ''].join('\n');
}

function emitRuntime() {
  return [
    '// Generated by scripts/gen-protocol.mjs: helpers shared by the generated codecs.',
    '// Do not edit: change the generator and run `npm run gen`.',
    '',
    '/**',
    ' * A null in a field that cannot carry null in the version being written is a bug in the caller (Kafka throws',
    ' * too): it is reported as a plain Error, not a ProtocolError, because no peer sent anything malformed.',
    ' */',
    'export function nonNull<T>(v: T | null, field: string): T {',
    "  if (v === null) throw new Error(`non-nullable field ${field} is null`);",
    '  return v;',
    '}',
    '',
  ].join('\n');
}

function emitIndex(group, msgs) {
  return [
    ...header(`directory ${group.src}/`),
    '',
    ...msgs.map((m) => `export * from './${m.name}';`),
    '',
  ].join('\n');
}

function emitApis(messages) {
  const requests = messages.filter((m) => m.type === 'request');
  const responses = new Map(messages.filter((m) => m.type === 'response').map((m) => [m.apiKey, m]));
  const apis = requests
    .map((req) => {
      const res = responses.get(req.apiKey);
      if (!res) throw new Error(`no response for ${req.name}`);
      if (req.flexibleMin !== res.flexibleMin) throw new Error(`${req.name}: request/response flexible versions differ`);
      return { key: req.apiKey, name: req.name.replace(/Request$/, ''), req, res };
    })
    .sort((a, b) => a.key - b.key);
  const lines = [...header('directory messages/ (request/response pairs)'), ''];
  lines.push(`import type { Reader, Writer } from '../primitives';`);
  for (const a of apis) {
    for (const m of [a.req, a.res]) {
      lines.push(`import { decode${m.name}, default${m.name}, encode${m.name}, type ${m.name} } from './messages/${m.name}';`);
    }
  }
  lines.push(
    '',
    '/** One Kafka API: its versions and the codecs of its request and response bodies (headers excluded). */',
    'export interface ApiDef<Req = unknown, Res = unknown> {',
    '  readonly apiKey: number;',
    "  /** The API name without the Request/Response suffix, e.g. 'Metadata'. */",
    '  readonly name: string;',
    '  /** Request versions the schema defines (responses share them). */',
    '  readonly minVersion: number;',
    '  readonly maxVersion: number;',
    '  readonly responseMinVersion: number;',
    '  readonly responseMaxVersion: number;',
    '  /** First flexible version (compact encodings, tagged fields, request header v2), or -1 when never flexible. */',
    '  readonly flexibleMin: number;',
    '  /** The highest version is still under development in Kafka and is not advertised by default. */',
    '  readonly latestVersionUnstable: boolean;',
    "  /** Where Kafka serves the API: 'broker', 'controller', 'zkBroker'. */",
    '  readonly listeners: readonly string[];',
    // Method syntax keeps the parameters bivariant so ApiDef<FooRequest, FooResponse> is an ApiDef.
    '  decodeRequest(r: Reader, version: number): Req;',
    '  encodeRequest(w: Writer, version: number, m: Req): void;',
    '  defaultRequest(): Req;',
    '  decodeResponse(r: Reader, version: number): Res;',
    '  encodeResponse(w: Writer, version: number, m: Res): void;',
    '  defaultResponse(): Res;',
    '}',
    '',
    '/** API keys by name. */',
    'export const ApiKey = {',
    ...apis.map((a) => `  ${a.name}: ${a.key},`),
    '} as const;',
    '',
  );
  for (const a of apis) {
    const { req, res } = a;
    lines.push(
      `export const ${a.name}Api: ApiDef<${req.name}, ${res.name}> = {`,
      `  apiKey: ${a.key},`,
      `  name: '${a.name}',`,
      `  minVersion: ${req.valid[0]},`,
      `  maxVersion: ${req.valid[1]},`,
      `  responseMinVersion: ${res.valid[0]},`,
      `  responseMaxVersion: ${res.valid[1]},`,
      `  flexibleMin: ${req.flexibleMin},`,
      `  latestVersionUnstable: ${req.latestVersionUnstable},`,
      `  listeners: [${req.listeners.map(quote).join(', ')}],`,
      `  decodeRequest: decode${req.name},`,
      `  encodeRequest: encode${req.name},`,
      `  defaultRequest: default${req.name},`,
      `  decodeResponse: decode${res.name},`,
      `  encodeResponse: encode${res.name},`,
      `  defaultResponse: default${res.name},`,
      '};',
    );
  }
  lines.push(
    '',
    '/** Every API, by ascending key. */',
    'export const APIS: readonly ApiDef[] = [',
    ...apis.map((a) => `  ${a.name}Api,`),
    '];',
    '',
    'const BY_KEY: readonly (ApiDef | undefined)[] = (() => {',
    '  const t: (ApiDef | undefined)[] = [];',
    '  for (const a of APIS) t[a.apiKey] = a;',
    '  return t;',
    '})();',
    '',
    '/** The API with this key, or undefined for keys the schemas do not define. */',
    'export function apiInfo(apiKey: number): ApiDef | undefined {',
    '  return apiKey >= 0 ? BY_KEY[apiKey] : undefined;',
    '}',
    '',
  );
  return lines.join('\n');
}

/**
 * A compact description of every struct (field names, kinds, version ranges, tags) for the round-trip tests, which
 * build samples from it. Production code does not import it.
 */
function emitDescriptors(all) {
  const lines = [
    "// Generated by scripts/gen-protocol.mjs from Apache Kafka's message schemas: a field-level description of every",
    '// generated codec, used only by tests to build sample messages. Do not edit: run `npm run gen`.',
    '',
    '/**',
    " * [prop, type, versions, nullableVersions, taggedVersions, tag, struct]. Types are primitive names or 'struct',",
    " * optionally prefixed by '[]'; version ranges are 'N+', 'N-M' or '' (none); struct indexes the message's structs",
    ' * (-1 for primitives).',
    ' */',
    'export type FieldDesc = readonly [string, string, string, string, string, number, number];',
    '',
    'export interface MessageDesc {',
    "  /** Output directory: 'messages', 'metadata', 'groupcoord', 'txn', 'raft'. */",
    '  readonly dir: string;',
    '  readonly name: string;',
    '  readonly validVersions: readonly [number, number];',
    '  readonly flexibleMin: number;',
    '  /** Struct names and fields; index 0 is the message itself. */',
    '  readonly structs: readonly (readonly [string, readonly FieldDesc[]])[];',
    '}',
    '',
    'export const MESSAGE_DESCRIPTORS: readonly MessageDesc[] = [',
  ];
  const r = (x) => (x === null ? "''" : x[1] === MAX_VERSION ? `'${x[0]}+'` : `'${x[0]}-${x[1]}'`);
  for (const { group, msg } of all) {
    const idx = new Map(msg.ctx.structs.map((s, i) => [s, i]));
    const head = `dir: '${group.out}', name: '${msg.name}', validVersions: [${msg.valid[0]}, ${msg.valid[1]}]`;
    lines.push(`  { ${head}, flexibleMin: ${msg.flexibleMin}, structs: [`);
    for (const s of msg.ctx.structs) {
      lines.push(`    ['${s.tsName}', [`);
      for (const f of s.fields) {
        const type = (f.isArray ? '[]' : '') + (f.struct ? 'struct' : f.prim);
        const si = f.struct ? idx.get(f.struct) : -1;
        lines.push(`      ['${f.prop}', '${type}', ${r(f.versions)}, ${r(f.nullable)}, ${r(f.tagged)}, ${f.tag}, ${si}],`);
      }
      lines.push('    ]],');
    }
    lines.push('  ] },');
  }
  lines.push('];', '');
  return lines.join('\n');
}

function emitTopIndex(groups) {
  return [
    "// Generated by scripts/gen-protocol.mjs from Apache Kafka's message schemas.",
    '// Do not edit: change the generator and run `npm run gen`.',
    '',
    ...groups.map((g) => `export * as ${g.out} from './${g.out}';`),
    "export * from './apis';",
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

function main() {
  if (!existsSync(SCHEMA_ROOT)) throw new Error(`schema directory not found: ${SCHEMA_ROOT}`);
  const all = [];
  const present = [];
  for (const group of GROUPS) {
    const dir = join(SCHEMA_ROOT, group.src);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const msgs = files.map((file) => buildMessage(loadSchema(join(dir, file)), file));
    if (msgs.length === 0) continue;
    present.push({ group, msgs });
    for (const msg of msgs) all.push({ group, msg });
  }

  // Start from a clean directory so schemas that disappear do not leave stale files behind.
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  let count = 0;
  for (const { group, msgs } of present) {
    const dir = join(OUT, group.out);
    mkdirSync(dir, { recursive: true });
    const exported = new Map();
    for (const msg of msgs) {
      writeFileSync(join(dir, `${msg.name}.ts`), emitMessage(msg, group));
      count++;
      // `export *` in the index would silently drop names exported by two files: refuse instead.
      for (const s of msg.ctx.structs) {
        const prev = exported.get(s.tsName);
        if (prev) throw new Error(`${group.out}: ${s.tsName} exported by both ${prev} and ${msg.name}`);
        exported.set(s.tsName, msg.name);
      }
    }
    writeFileSync(join(dir, 'index.ts'), emitIndex(group, msgs));
  }
  writeFileSync(join(OUT, 'runtime.ts'), emitRuntime());
  const messages = present.find((p) => p.group.src === 'messages');
  if (messages) writeFileSync(join(OUT, 'apis.ts'), emitApis(messages.msgs));
  // Under __tests__/ so the build (tsconfig.build.json) leaves it out of dist/.
  mkdirSync(join(OUT, '__tests__'), { recursive: true });
  writeFileSync(join(OUT, '__tests__', 'descriptors.ts'), emitDescriptors(all));
  writeFileSync(join(OUT, 'index.ts'), emitTopIndex(present.map((p) => p.group)));
  console.log(`gen-protocol: ${count} schemas from ${SCHEMA_ROOT} → ${OUT}`);
}

main();
