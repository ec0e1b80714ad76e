"use strict";
// Written by payledger-infra speedups/provider/kernel.py: runs jsii's kernel (lib/program.js)
// in this process instead of behind bin/jsii-runtime.js, which relays FD 3 through a second
// Node process. Same protocol, one process and one pipe hop fewer.
const fs = require("fs");
const path = require("path");
const { Writable } = require("stream");
if (process.env.NODE_PRESERVE_SYMLINKS !== "1") {
  // the relay starts the kernel with --preserve-symlinks; packages are linked, not copied
  throw new Error("NODE_PRESERVE_SYMLINKS=1 is required");
}
process.execArgv.push("--preserve-symlinks"); // jsii's package linker checks execArgv
try {
  fs.fstatSync(3); // FD 3 is held for the process's lifetime by Node itself (event loop)...
} catch {
  fs.openSync("/dev/null", "r"); // ...or by us, so no file opened later can get FD 3
}
const { readSync, writeSync } = fs;
const toJson = (tag, chunk) => JSON.stringify({ [tag]: Buffer.from(chunk).toString("base64") }) + "\n";
fs.readSync = function (fd, ...rest) {
  return readSync.call(fs, fd === 3 ? 0 : fd, ...rest);
};
fs.writeSync = function (fd, buffer, ...rest) {
  if (fd === 3) return writeSync.call(fs, 1, buffer, ...rest);
  if (fd === 2 && Buffer.isBuffer(buffer) && rest.length === 0) {
    writeSync.call(fs, 2, toJson("stderr", buffer));
    return buffer.length;
  }
  return writeSync.call(fs, fd, buffer, ...rest);
};
// What JavaScript code prints must not reach stdout (the protocol channel): wrapped like the relay
for (const tag of ["stdout", "stderr"]) {
  const stream = new Writable({
    write(chunk, encoding, done) {
      writeSync.call(fs, 2, toJson(tag, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding)));
      done();
    },
  });
  stream.fd = 2;
  Object.defineProperty(process, tag, { configurable: true, enumerable: true, get: () => stream });
}
require(path.join(__dirname, "..", "lib", "program.js"));
