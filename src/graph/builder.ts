import SchemaBuilder from '@pothos/core';
import type { Context } from './context.ts';

/** The one Pothos builder; types register themselves in src/graph/schema/*.ts. */
export interface Types {
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
    Date: { Input: string; Output: string };
  };
}

export const builder = new SchemaBuilder<Types>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});

/** The builder's resolved type parameters, for helpers that take refs. */
export type BuilderTypes = PothosSchemaTypes.ExtendDefaultTypes<Types>;
