"use strict";
// The benchmark's S3 server, in a process of its own: s3rver on loopback, serving one bucket from
// a folder. `node s3-server.js <folder> <bucket>` prints `{"port":N}` on one line once it listens
// and runs until stdin closes (its parent exited) or it gets SIGTERM. Kept out of the benchmark's
// process so that s3rver's work (it writes every part, then copies the parts into the object on
// CompleteMultipartUpload, hashing both) does not share an event loop with the harness that times
// and polls the contenders; its CPU is read from /proc and reported apart.
const S3rver = require("s3rver");

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) {
  console.error("usage: node s3-server.js <folder> <bucket>");
  process.exit(2);
}
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
server.run().then(
  (address) => {
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
    const stop = () => server.close().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.stdin.on("end", stop);
    process.stdin.resume();
  },
  (error) => {
    console.error(`s3rver did not start: ${error.message}`);
    process.exit(1);
  },
);
