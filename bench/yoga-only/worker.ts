/**
 * The weight reference: graphql-yoga and graphql with one query field and nothing else
 * (`npm run bench:weight` compares Renkei's bundle and startup with this one's).
 */
import { buildSchema } from 'graphql';
import { createYoga } from 'graphql-yoga';

const schema = buildSchema('type Query { hello: String! }');
const yoga = createYoga({
  schema,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  graphiql: false,
  graphqlRootValue: { hello: () => 'world' },
} as never);

export default { fetch: (request: Request) => yoga.fetch(request) };
