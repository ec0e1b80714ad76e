// Runs jsii's own runtime-index worker over an unpacked package folder (speedups/provider/repack.py):
//   node index_worker.js <jsii's runtime-index-worker.js> <package folder holding .jsii>
const { Worker } = require("worker_threads");
const [workerScript, packageDir] = process.argv.slice(2);
const worker = new Worker(workerScript, { workerData: { packageDir, supportedFeatures: [] } });
worker.on("message", (m) => { if (m && m.error) { console.error(m.error); process.exitCode = 1; } });
worker.on("error", (e) => { console.error(e); process.exitCode = 1; });
