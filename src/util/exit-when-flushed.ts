// Ends a command-line process with `code` once stdout and stderr have handed everything to the
// OS. Writes to a pipe are asynchronous in Node: process.exit() right after a large write drops
// whatever the reader had not taken yet (`cosyfleet plan --format json | wc -c` stopped at
// 65,536 bytes). Waiting for each stream's write callback keeps the output whole, and exiting
// then still ends commands that leave handles open (keep-alive sockets, timers).
export function exitWhenFlushed(code: number, streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  process.exitCode = code;
  let pending = streams.length;
  if (pending === 0) process.exit(code);
  for (const s of streams) {
    let flushed = false;
    const done = () => {
      if (flushed) return;
      flushed = true;
      if (--pending === 0) process.exit(code);
    };
    // A reader that went away (`| head`) fails the write with EPIPE: nothing is left to keep.
    s.once('error', done);
    s.write('', () => done());
  }
}
