// Unit: the served schema against the committed schema.graphql and the design contract.
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputField,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  printSchema,
} from 'graphql';
import { describe, expect, inject, it } from 'vitest';
import { schema } from '../src/graph/schema/index.ts';

describe('schema', () => {
  it('matches the committed schema.graphql (run `npm run schema:print`)', () => {
    expect(inject('committedSchema')).toBe(`${printSchema(schema)}\n`);
  });

  it('serves contract types whole, with the contract names and types', () => {
    const contract = buildSchema(inject('contract'));
    const problems: string[] = [];
    const signature = (f: GraphQLField<unknown, unknown> | GraphQLInputField) =>
      'args' in f
        ? `${f.args.map((a) => `${a.name}:${a.type}`).join(',')}=>${f.type}`
        : String(f.type);
    for (const type of Object.values(contract.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      const served = schema.getType(type.name);
      if (!served) continue;
      const isRoot = ['Query', 'Mutation', 'Subscription'].includes(type.name);
      if (isEnumType(type) && isEnumType(served)) {
        for (const v of type.getValues()) {
          if (!served.getValue(v.name)) problems.push(`${type.name}.${v.name} missing`);
        }
      } else if (
        (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) &&
        (isObjectType(served) || isInterfaceType(served) || isInputObjectType(served))
      ) {
        const servedFields = served.getFields();
        for (const f of Object.values(type.getFields())) {
          const s = servedFields[f.name];
          if (!s) {
            if (!isRoot) problems.push(`${type.name}.${f.name} missing`);
            continue;
          }
          if (signature(s) !== signature(f)) {
            problems.push(
              `${type.name}.${f.name}: served ${signature(s)}, contract ${signature(f)}`,
            );
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
