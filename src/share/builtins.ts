/**
 * Every shareable weft defines, imported for their registrations: a thread
 * that imports this can revive any built-in shareable synchronously (a queue's
 * `getSync` cannot wait for a module to load). The worker entry imports it, so
 * every weft thread can.
 */
import '../sync/lock.js';
import '../sync/rlock.js';
import '../sync/condition.js';
import '../sync/semaphore.js';
import '../sync/bounded-semaphore.js';
import '../sync/event.js';
import '../sync/barrier.js';
import '../shared/value.js';
import '../shared/array.js';
import '../shared/shared-memory.js';
import '../shared/shareable-list.js';
import '../shared/dict.js';
import '../shared/list.js';
import '../run/local.js';
import '../queue/queue.js';
import '../queue/joinable-queue.js';
import '../queue/simple-queue.js';
import '../queue/lifo-queue.js';
import '../queue/priority-queue.js';
import '../queue/connection.js';
import '../scope/processes-family.js';
