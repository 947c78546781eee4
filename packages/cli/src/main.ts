#!/usr/bin/env node
import { run } from './cli.js';

// Exit explicitly: a socket the server keeps open must not keep a finished command alive.
const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
process.exit(code);
