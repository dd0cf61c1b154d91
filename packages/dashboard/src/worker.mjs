// The dashboard's own thread: startDashboard runs the server and its chain follower here by default,
// so a busy caller (the simulator signing thousands of transactions in `gridledger start`) cannot stall
// the feed. Plain JavaScript that, like bin/gridledger.mjs, registers tsx for the TypeScript sources
// only on a Node that does not strip types itself (Node 20).
import { parentPort, workerData } from 'node:worker_threads';

if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { startDashboardHere } = await import('./server.ts');
const { pino } = await import('pino');
try {
  const { logLevel, ...options } = workerData;
  const dashboard = await startDashboardHere({
    ...options,
    logger: pino({ level: logLevel }, pino.destination(2)),
  });
  parentPort.on('message', async (m) => {
    if (m === 'close') {
      await dashboard.close();
      parentPort.postMessage({ closed: true });
      parentPort.close();
    }
  });
  parentPort.postMessage({ url: dashboard.url });
} catch (err) {
  parentPort.postMessage({ error: { message: err.message, code: err.code, name: err.name } });
  parentPort.close();
}
