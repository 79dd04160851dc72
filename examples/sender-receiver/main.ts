// A sender thread and a receiver thread talk over a Queue and over a Pipe; the receiver reports what it got.
import assert from 'node:assert/strict';
import { Pipe, Queue, Thread, type Connection } from 'weft';

// Over a Queue: the sender puts, then shuts the queue down; the receiver iterates until the end.
const queue = new Queue<string>();
const results = new Queue<string>();
const queueSender = new Thread({
  target: (q: Queue<string>) => {
    for (const word of ['weft', 'moves', 'messages']) q.putSync(word);
    q.shutdown();
  },
  args: [queue],
});
const queueReceiver = new Thread({
  target: async (q: Queue<string>, out: Queue<string>) => {
    const words: string[] = [];
    for await (const word of q) words.push(word);
    out.putSync(words.join(' '));
  },
  args: [queue, results],
});
queueSender.start();
queueReceiver.start();
const overQueue = await results.get();
console.log(`over a Queue: "${overQueue}"`);
assert.equal(overQueue, 'weft moves messages');

// Over a Pipe: the sender sends and closes its end; the receiver reads until EOF and answers on the other direction.
const [senderEnd, receiverEnd] = Pipe();
const pipeSender = new Thread({
  target: (conn: Connection) => {
    for (let i = 1; i <= 5; i++) conn.send({ i, square: i * i });
    const reply = conn.recvSync();
    conn.send(`got reply: ${String(reply)}`);
    conn.close();
  },
  args: [senderEnd],
});
const pipeReceiver = new Thread({
  target: (conn: Connection) => {
    let sum = 0;
    for (let n = 0; n < 5; n++) sum += (conn.recvSync() as { square: number }).square;
    conn.send(sum);
  },
  args: [receiverEnd],
});
pipeSender.start();
pipeReceiver.start();
await Promise.all([pipeSender.join(), pipeReceiver.join()]);
// The receiver's reply went to the sender, which answered on the pipe: read it here from the receiver's end.
const last = await receiverEnd.recv();
console.log(`over a Pipe: the receiver summed the squares and the sender answered "${String(last)}"`);
assert.equal(last, 'got reply: 55');
