// The bench-only workflows, bundled apart from workflows/ (bench/update-vs-signal.ts).
export { signalOrderWorkflow } from './signal-order.js';
export { floorWorkflow } from './floor.js';
