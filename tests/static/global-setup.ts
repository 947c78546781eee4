import type { TestProject } from 'vitest/node';
import { installCheckTools } from '../../scripts/setup/check-tools.mjs';

/**
 * Installs the check tools when missing (a cold machine takes minutes, a warm one milliseconds)
 * and hands their paths to the test files. An install failure fails the run: these checks never
 * skip.
 */
export default async function setup(project: TestProject): Promise<void> {
  const tools = await installCheckTools({ log: (line: string) => process.stderr.write(`${line}\n`) });
  project.provide('checkTools', tools);
}
