/** One refused input field, as the API answers it and the workflow's rules produce it. */
export interface FieldError {
  /** JSON pointer into the request, e.g. `/body/partner/name`. */
  field: string;
  /** In English, for API clients and logs. */
  message: string;
  /** Names the message for translation: the wizard shows `wizard.error.<code>` from its catalogs, filled with `values`. */
  code?: string;
  values?: Record<string, string | number>;
}

export function fieldError(field: string, code: string, message: string, values?: Record<string, string | number>): FieldError {
  return { field, message, code, ...(values ? { values } : {}) };
}
