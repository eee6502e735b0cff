import './common.ts';
import './integrations.ts';
import './rules.ts';
import './users.ts';
import './preferences.ts';
import './line.ts';
import './audit.ts';
import './node.ts';
import './deliveries.ts';
import './workflow-events.ts';
import './delivery-mutations.ts';
import './absences.ts';
import './bindings.ts';
import './decisions.ts';
import { builder } from '../builder.ts';

/** The executable schema served at /graphql and printed to schema.graphql. */
export const schema = builder.toSchema({ sortSchema: false });
