// The wizard's deadline in words (SPEC §7.3): "open until <date in the order's zone>, N days left".
import type { WizardView } from '../types';
import { formatInZone } from '../ui';

export function deadlineText(view: WizardView): string | null {
  const { deadline } = view;
  if (!deadline) return null;
  const left = deadline.daysLeft === 0 ? 'less than a day left' : deadline.daysLeft === 1 ? '1 day left' : `${deadline.daysLeft} days left`;
  return `open until ${formatInZone(deadline.at, view.order.timezone)}, ${left}`;
}
