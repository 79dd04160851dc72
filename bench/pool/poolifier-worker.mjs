/** poolifier's worker script for the pool scenarios: one ThreadWorker holding the shared tasks by name. */
import { ThreadWorker } from 'poolifier';
import { crash, fib, first, inc, sigmoidRows } from './tasks.mjs';

export default new ThreadWorker({ inc, fib, first, crash, sigmoidRows });
