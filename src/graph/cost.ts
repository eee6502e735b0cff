/**
 * The cost of an operation: how many objects it can make the server produce, before any
 * resolver runs. Each field returning an object counts once per parent it is asked on; a
 * connection's `first` (clamped as its resolver clamps it) multiplies everything under its
 * `edges`, and aliases count each time. A document over MAX_COST is refused whole.
 */
// Everything from the package root: a subpath import would be graphql's CommonJS copy in the
// Worker bundle (see yoga.ts), whose type checks fail on this schema's types.
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE, MAX_PAGE } from '../domain/pagination.ts';

/** The most objects one operation may produce. */
export const MAX_COST = 10_000;

/** Items assumed for a list field that declares no `maxItems` extension (e.g. `errors`). */
const DEFAULT_LIST_ITEMS = 10;

/** Field extensions the cost reads: a connection's page cap, a plain list's most items. */
export interface CostExtensions {
  maxPage?: number;
  maxItems?: number;
}

type AnyField = GraphQLField<unknown, unknown>;

function pageOf(field: AnyField, node: Parameters<typeof getArgumentValues>[1], vars: object) {
  const ext = field.extensions as CostExtensions;
  const max = ext.maxPage ?? MAX_PAGE;
  let first: unknown;
  try {
    first = getArgumentValues(field, node, vars as Record<string, unknown>).first;
  } catch {
    first = undefined;
  }
  const n = typeof first === 'number' && first >= 1 ? first : DEFAULT_PAGE;
  return Math.min(n, max);
}

/** Objects the operation can produce (0 when it cannot run: execution reports why). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const coerced = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    rawVariables ?? {},
  );
  if (coerced.errors) return 0;
  const vars = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  function walk(
    set: SelectionSetNode,
    type: GraphQLNamedType,
    multiplier: number,
    page: number,
    seen: Set<string>,
  ): number {
    if (!isObjectType(type) && !isInterfaceType(type)) return 0;
    const fields = type.getFields();
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (on) total += walk(sel.selectionSet, on, multiplier, page, seen);
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(sel.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        const inner = new Set(seen).add(fragment.name.value);
        if (on) total += walk(fragment.selectionSet, on, multiplier, page, inner);
      } else {
        const field = fields[sel.name.value] as AnyField | undefined;
        if (!field || !sel.selectionSet) continue;
        const returns = getNullableType(field.type);
        const items = isListType(returns)
          ? sel.name.value === 'edges'
            ? page
            : ((field.extensions as CostExtensions).maxItems ?? DEFAULT_LIST_ITEMS)
          : 1;
        const here = multiplier * items;
        const isConnection = field.args.some((a) => a.name === 'first');
        const childPage = isConnection ? pageOf(field, sel, vars) : page;
        total += here + walk(sel.selectionSet, getNamedType(field.type), here, childPage, seen);
      }
    }
    return total;
  }
  return walk(operation.selectionSet, root, 1, DEFAULT_PAGE, new Set());
}

/** The error for a document over the limit: HTTP 400, before anything ran. */
export function tooCostly(cost: number): GraphQLError {
  return new GraphQLError(
    `Query cost ${cost} exceeds the limit of ${MAX_COST} (objects it can return: each ` +
      'connection multiplies what is under its edges by `first`, each alias counts). Ask for ' +
      'smaller pages or fewer nested connections.',
    { extensions: { code: 'QUERY_TOO_COSTLY', cost, limit: MAX_COST, http: { status: 400 } } },
  );
}
