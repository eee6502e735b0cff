import { readFile } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startFakes } from './fakes/index.ts';

/** Starts the provider fakes on 127.0.0.1 (Node side) and hands their URLs to the workers. */
export default async function setup(project: TestProject) {
  const fakes = await startFakes();
  project.provide('fakes', fakes.bases);
  project.provide('committedSchema', await readFile('schema.graphql', 'utf8').catch(() => ''));
  project.provide('contract', await readFile('test/contract.graphql', 'utf8'));
  return async () => {
    await fakes.close();
  };
}
