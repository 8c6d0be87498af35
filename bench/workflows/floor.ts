// Bench only, never deployed: the floor of what an Update costs on this dev server and worker. The
// Update does nothing and answers nothing; what is left is Temporal's own round trip.
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const noopUpdate = defineUpdate<void>('noop');

export async function floorWorkflow(): Promise<void> {
  setHandler(noopUpdate, () => {});
  await condition(() => false);
}
