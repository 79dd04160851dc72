// queue-processes' Node IPC producer: a forked child that waits for "go" and
// sends n objects { i, s: 'x' } to its parent with process.send, yielding to
// its event loop every 1,000 messages so the channel drains as it goes.
const n = Number(process.argv[2]);
process.once('message', async () => {
  for (let i = 0; i < n; i++) {
    process.send({ i, s: 'x' });
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
});
process.send('ready');
