/**
 * Keys of persisted records are parts joined by `:`, each part percent-encoded, so that user
 * strings (rule instance keys, timer keys) can never make two different records share a key.
 * Plain ids (`123`, `CON.F.US.MNQ.Z25`) stay readable.
 */
export function composeKey(...parts: readonly (string | number)[]): string {
  return parts.map((p) => encodeURIComponent(String(p))).join(':');
}

/** The parts of a key written by {@link composeKey}. */
export function splitKey(key: string): string[] {
  return key.split(':').map((p) => decodeURIComponent(p));
}
