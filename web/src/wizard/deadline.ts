// The wizard's deadline in words (SPEC §7.3): "open until <moment in the order's zone>, N days left".
import type { WizardView } from '../types';
import { useTexts } from './i18n';

/** The deadline as a summary value and as a sentence, in the chosen language; null when the order has none. */
export function useDeadline(view: WizardView): { value: string; sentence: string } | null {
  const { t, inZone } = useTexts();
  const { deadline } = view;
  if (!deadline) return null;
  const values = { until: inZone(deadline.at, view.order.timezone), daysLeft: deadline.daysLeft };
  return { value: t('wizard.deadline.value', values), sentence: t('wizard.deadline.sentence', values) };
}
