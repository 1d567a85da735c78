/**
 * Where the embedded store lives: DATA_DIR, default `./data` relative to the current directory,
 * made absolute. One rule for `npm start` (relay/start.ts) and the operator CLI (relay/cli.ts),
 * so both name the same directory for the same environment.
 * @module
 */
import { resolve } from 'node:path';

export const DEFAULT_DATA_DIR = 'data';

export const dataDirFromEnv = (env: NodeJS.ProcessEnv = process.env): string => resolve(env['DATA_DIR'] || DEFAULT_DATA_DIR);
