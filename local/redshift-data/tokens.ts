// Opaque NextTokens: base64url JSON that only this endpoint reads.

export type TokenContent = { id?: string; offset?: number; seq?: number };

export function encodeToken(content: TokenContent): string {
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

export function decodeToken(token: string): TokenContent | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { id, offset, seq } = parsed as Record<string, unknown>;
    const content: TokenContent = {};
    if (typeof id === 'string') content.id = id;
    if (typeof offset === 'number' && Number.isInteger(offset)) content.offset = offset;
    if (typeof seq === 'number' && Number.isInteger(seq)) content.seq = seq;
    return content;
  } catch {
    return undefined;
  }
}
