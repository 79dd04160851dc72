/**
 * The entry of a Process's child: take the start message, become the process
 * it describes, run the target, report what it threw, then let go of the
 * parent and exit when the event loop is empty — with code 0, 1 if the
 * target threw (or anything it left behind threw uncaught), or whatever the
 * target set or passed to `process.exit()`.
 */

import { sendError } from '../run/error-transfer.js';
import { exitWithParent, leaveParent, loadCall, receiveFromParent, reportUncaught, sendToParent } from '../run/in-child.js';
import { becomeChild, type ProcessReport, type ProcessStart } from '../run/process-state.js';

exitWithParent();
reportUncaught((error) => ({ type: 'exception', error }) satisfies ProcessReport);

// No top-level await: the built entry is CommonJS (see scripts/bundle-worker.mjs).
async function run(): Promise<void> {
  const start = await receiveFromParent<ProcessStart>();
  becomeChild(start);
  try {
    await (await loadCall(start.call))();
  } catch (error) {
    process.exitCode = 1;
    await sendToParent({ type: 'exception', error: sendError(error) } satisfies ProcessReport);
  } finally {
    leaveParent();
  }
}

void run();
