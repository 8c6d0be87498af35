// One form's request state: busy while it is sent, then the API's field errors next to their
// inputs (or above the form), with focus moved to the first thing to fix.
import { type FormEvent, useCallback, useEffect, useId, useState } from 'react';
import { ApiError, type ProblemWording, splitFieldErrors } from '../api';

export interface FormState {
  busy: boolean;
  fieldErrors: Record<string, string>;
  formErrors: string[];
  /** The form element's id: the focus after a refusal stays inside this form. */
  formId: string;
  /** Runs `action`; a refusal becomes field and form errors instead of an exception. */
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  setErrors: (fields: Record<string, string>, form?: string[]) => void;
  /** The form's onChange: drops the error of the field that changed. */
  clearChanged: (event: FormEvent<HTMLFormElement>) => void;
}

/** `wording`: how refusals read (the wizard's pages pass their language's); the API's English by default. */
export function useForm(inputNames: readonly string[], wording?: ProblemWording): FormState {
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [attempt, setAttempt] = useState(0);
  const formId = `form-${useId()}`;

  const setErrors = useCallback((fields: Record<string, string>, form: string[] = []) => {
    setFieldErrors(fields);
    setFormErrors(form);
    setAttempt((n) => n + 1);
  }, []);

  const run = useCallback(
    async (action: () => Promise<unknown>) => {
      setBusy(true);
      setFieldErrors({});
      setFormErrors([]);
      try {
        await action();
        return true;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const { fields, other } = splitFieldErrors(error.problem, inputNames, wording);
        setErrors(fields, other);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [setErrors, inputNames, wording],
  );

  // A field's error goes as soon as the person changes that field: it no longer describes what is there.
  // Through React's own (bubbling) change event: a native listener re-rendering mid-event would undo the typing.
  const clearChanged = useCallback((event: FormEvent<HTMLFormElement>) => {
    const name = (event.target as HTMLInputElement | null)?.name;
    if (!name) return;
    setFieldErrors((current) => {
      if (!(name in current)) return current;
      const { [name]: _changed, ...rest } = current;
      return rest;
    });
  }, []);

  // After a refused attempt: focus the first invalid input, else the error summary.
  useEffect(() => {
    if (!attempt) return;
    const form = document.getElementById(formId);
    const target = form?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? form?.querySelector<HTMLElement>('.alert-danger');
    target?.focus();
  }, [attempt, formId]);

  return { busy, fieldErrors, formErrors, formId, run, setErrors, clearChanged };
}
