/** One refused input field, as the API answers it and the workflow's rules produce it. */
export interface FieldError {
  /** JSON pointer into the request, e.g. `/body/partner/name`. */
  field: string;
  message: string;
}
