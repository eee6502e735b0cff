// Unit: the served schema against the committed schema.graphql and the design contract.
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputField,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  printSchema,
} from 'graphql';
import { describe, expect, inject, it } from 'vitest';
import { schema } from '../src/graph/schema/index.ts';

describe('schema', () => {
  it('matches the committed schema.graphql (run `npm run schema:print`)', () => {
    expect(inject('committedSchema')).toBe(`${printSchema(schema)}\n`);
  });

  it('serves every contract name: types, fields, arguments, enum values, input fields', () => {
    const contract = buildSchema(inject('contract'));
    const problems: string[] = [];
    for (const type of Object.values(contract.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      const served = schema.getType(type.name);
      if (!served) {
        problems.push(`${type.name} missing`);
        continue;
      }
      if (served.constructor !== type.constructor) {
        problems.push(
          `${type.name}: served a ${served.constructor.name}, contract a ${type.constructor.name}`,
        );
        continue;
      }
      if (isEnumType(type) && isEnumType(served)) {
        for (const v of type.getValues()) {
          if (!served.getValue(v.name)) problems.push(`${type.name}.${v.name} missing`);
        }
        continue;
      }
      if (
        (isObjectType(type) || isInterfaceType(type)) &&
        (isObjectType(served) || isInterfaceType(served))
      ) {
        const servedInterfaces = served.getInterfaces().map((i) => i.name);
        for (const i of type.getInterfaces()) {
          if (!servedInterfaces.includes(i.name))
            problems.push(`${type.name} does not implement ${i.name}`);
        }
      }
      if (
        (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) &&
        (isObjectType(served) || isInterfaceType(served) || isInputObjectType(served))
      ) {
        const servedFields = served.getFields() as Record<
          string,
          GraphQLField<unknown, unknown> | GraphQLInputField
        >;
        for (const f of Object.values(type.getFields()) as (
          | GraphQLField<unknown, unknown>
          | GraphQLInputField
        )[]) {
          const s = servedFields[f.name];
          if (!s) {
            problems.push(`${type.name}.${f.name} missing`);
            continue;
          }
          if (String(s.type) !== String(f.type)) {
            problems.push(`${type.name}.${f.name}: served ${s.type}, contract ${f.type}`);
          }
          if (!('args' in f)) continue;
          const servedArgs = 'args' in s ? s.args : [];
          for (const a of f.args) {
            const sa = servedArgs.find((x) => x.name === a.name);
            if (!sa) problems.push(`${type.name}.${f.name}(${a.name}) missing`);
            else if (String(sa.type) !== String(a.type)) {
              problems.push(
                `${type.name}.${f.name}(${a.name}): served ${sa.type}, contract ${a.type}`,
              );
            }
          }
          // An extra served argument must not be required, or contract callers break.
          for (const sa of servedArgs) {
            if (
              !f.args.some((a) => a.name === sa.name) &&
              isNonNullType(sa.type) &&
              sa.defaultValue === undefined
            ) {
              problems.push(
                `${type.name}.${f.name}(${sa.name}) is required but not in the contract`,
              );
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
