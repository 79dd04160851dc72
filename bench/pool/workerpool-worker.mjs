/** workerpool's worker script for the pool scenarios: registers the shared tasks by name. */
import workerpool from 'workerpool';
import { crash, fib, first, inc, sigmoidRows } from './tasks.mjs';

workerpool.worker({ inc, fib, first, crash, sigmoidRows });
