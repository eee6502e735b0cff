/** Domain errors: small named classes the graph layer turns into GraphQL errors or UserErrors. */

/** The caller is not who it must be (no token, bad token). */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
}

/** The caller is known but may not do this (role, tenant). */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/** A user-correctable problem with one input field. */
export interface UserError {
  code:
    | 'INVALID'
    | 'REQUIRED'
    | 'NOT_FOUND'
    | 'PROVIDER_REJECTED'
    | 'PROVIDER_UNAVAILABLE'
    | 'NOT_CONFIGURED'
    | 'UNSUPPORTED'
    | 'CONFLICT'
    | 'RATE_LIMITED';
  message: string;
  field?: string[];
}

/** Thrown by domain code when input is wrong in a way the caller can fix. */
export class InputError extends Error {
  override name = 'InputError';
  readonly errors: UserError[];
  constructor(errors: UserError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }
}
