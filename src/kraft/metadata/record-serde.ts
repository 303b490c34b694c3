// How a metadata record is stored as a record value in the metadata log, as KRaft frames it:
// frame version (unsigned varint, 1), record api key (unsigned varint), record version (unsigned varint), then the
// record in that version's (flexible) encoding.

import * as records from '../../wire/generated/metadata';
import { ProtocolError } from '../../wire/errors';
import { Reader, Writer } from '../../wire/primitives';

const FRAME_VERSION = 1;

interface RecordCodec {
  name: string;
  maxVersion: number;
  decode(r: Reader, version: number): Record<string, unknown>;
  encode(w: Writer, version: number, m: Record<string, unknown>): void;
  defaults(): Record<string, unknown>;
}

/** Every generated metadata record module, indexed by its api key. */
const CODECS: Map<number, RecordCodec> = (() => {
  const out = new Map<number, RecordCodec>();
  const mod = records as unknown as Record<string, unknown>;
  for (const [exportName, value] of Object.entries(mod)) {
    if (!exportName.endsWith('Meta')) continue;
    const meta = value as { apiKey?: number; name: string; validVersions: readonly [number, number] };
    if (meta.apiKey === undefined) continue;
    const name = meta.name;
    out.set(meta.apiKey, {
      name,
      maxVersion: meta.validVersions[1],
      decode: mod[`decode${name}`] as RecordCodec['decode'],
      encode: mod[`encode${name}`] as RecordCodec['encode'],
      defaults: mod[`default${name}`] as RecordCodec['defaults'],
    });
  }
  return out;
})();

export function encodeMetadataRecord(apiKey: number, version: number, data: Record<string, unknown>): Buffer {
  const codec = CODECS.get(apiKey);
  if (!codec) throw new Error(`unknown metadata record type ${apiKey}`);
  const w = new Writer(128);
  w.writeUnsignedVarint(FRAME_VERSION).writeUnsignedVarint(apiKey).writeUnsignedVarint(version);
  // Fields the caller left out take the schema's defaults.
  codec.encode(w, version, { ...codec.defaults(), ...data });
  return Buffer.from(w.toBuffer());
}

export function decodeMetadataRecord(value: Buffer): { apiKey: number; version: number; data: Record<string, unknown> } {
  const r = new Reader(value);
  const frame = r.readUnsignedVarint();
  if (frame !== FRAME_VERSION) throw new ProtocolError(`unknown metadata record frame version ${frame}`);
  const apiKey = r.readUnsignedVarint();
  const version = r.readUnsignedVarint();
  const codec = CODECS.get(apiKey);
  if (!codec) throw new ProtocolError(`unknown metadata record type ${apiKey}`);
  if (version > codec.maxVersion) throw new ProtocolError(`${codec.name} version ${version} is newer than this broker`);
  return { apiKey, version, data: codec.decode(r, version) };
}

export function metadataRecordName(apiKey: number): string | undefined {
  return CODECS.get(apiKey)?.name;
}
