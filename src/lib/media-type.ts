/**
 * The Content-Type check of the signed provider callbacks (Slack interactivity, LINE webhook,
 * LINE WORKS callback). The header is not covered by any signature, so it never makes a request
 * acceptable; a body declared as another type than the platform sends is refused with 415 once the
 * signature holds (an unsigned request is still a 401). A request without the header is left to
 * the parser.
 */

/** False when `header` names another media type than `expected` (parameters ignored). */
export function declaredAs(header: string | undefined, expected: string): boolean {
  if (header === undefined || header.trim() === '') return true;
  return header.split(';')[0]?.trim().toLowerCase() === expected;
}
