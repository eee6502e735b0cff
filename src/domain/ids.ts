/** Row ids and the opaque global ids of GraphQL `Node`s. */
import { base64UrlToBytes, textToBase64Url } from '../lib/base64.ts';

/** A sortable unique id: 48-bit millisecond time then 80 random bits, hex. */
export function newId(at = Date.now()): string {
  const rand = crypto.getRandomValues(new Uint8Array(10));
  let hex = at.toString(16).padStart(12, '0');
  for (const b of rand) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export type NodeType =
  | 'User'
  | 'AuditEntry'
  | 'WorkflowEvent'
  | 'Delivery'
  | 'Absence'
  | 'BindingSuggestion'
  | 'Decision';
const NODE_TYPES: readonly NodeType[] = [
  'User',
  'AuditEntry',
  'WorkflowEvent',
  'Delivery',
  'Absence',
  'BindingSuggestion',
  'Decision',
];

/** Global id: base64url("<Type>:<rowId>"). The row id alone never grants access: the
 * resolver still checks the row belongs to the caller's tenant. */
export function toGlobalId(type: NodeType, rowId: string): string {
  return textToBase64Url(`${type}:${rowId}`);
}

export function fromGlobalId(id: string): { type: NodeType; rowId: string } | null {
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(base64UrlToBytes(id));
  } catch {
    return null;
  }
  const sep = decoded.indexOf(':');
  if (sep < 1) return null;
  const type = decoded.slice(0, sep) as NodeType;
  const rowId = decoded.slice(sep + 1);
  if (!NODE_TYPES.includes(type) || !/^[0-9a-f]{32}$/.test(rowId)) return null;
  return { type, rowId };
}

export function isoNow(): string {
  return new Date().toISOString();
}
