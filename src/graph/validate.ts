/** Input validation at the edge of the graph: zod issues become field-path UserErrors. */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { ForbiddenError, InputError, type UserError } from '../domain/errors.ts';
import { forbidden } from './context.ts';

// zod/mini carries no messages of its own: English, as the full zod build had.
z.config(en());

/** Parses `value` with `schema`; each issue becomes a UserError whose field starts at `root`. */
export async function validate<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  root: string[],
): Promise<z.infer<S>> {
  const result = await schema.safeParseAsync(value);
  if (result.success) return result.data;
  throw new InputError(
    result.error.issues.map(
      (issue): UserError => ({
        code: issue.code === 'invalid_type' && issue.input === undefined ? 'REQUIRED' : 'INVALID',
        message: issue.message,
        field: [...root, ...issue.path.map(String)],
      }),
    ),
  );
}

/**
 * Runs a mutation body and turns an InputError into the payload's `errors`, so what the
 * caller can fix comes back as data; other errors propagate (masked by yoga, logged).
 */
export async function withUserErrors<B extends object, E extends object>(
  body: () => Promise<B>,
  empty: E,
): Promise<(B | E) & { errors: UserError[] }> {
  try {
    return { errors: [], ...(await body()) };
  } catch (err) {
    if (err instanceof InputError) return { ...empty, errors: err.errors };
    if (err instanceof ForbiddenError) throw forbidden(err.message);
    throw err;
  }
}
