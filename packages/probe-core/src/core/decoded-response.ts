import type { DecodedResponse } from '../types.js';
import { decodeOcspResponse as parseOcspResponse } from './decode.js';

/**
 * Decode an OCSPResponse (RFC 6960 §4.2.1) into the flat, JSON-safe view that reports carry: status,
 * responder, producedAt, every SingleResponse with its times as ISO-8601 text, extensions, embedded
 * certificates. Nothing is judged: no signature, certID or freshness check (use `inspect` for that).
 * Trailing bytes after the response are tolerated. The result is shared between calls with the same bytes:
 * treat it as read-only.
 *
 * @throws DecodeError when the bytes are not an OCSPResponse.
 */
export function decodeOcspResponse(bytes: Uint8Array): DecodedResponse {
  return parseOcspResponse(bytes).view;
}
