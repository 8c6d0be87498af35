// One page of a rep list (orders, tasks) from the API: fetched again when its URL or `reload`
// changes, the previous request abandoned, and a 401 signing the rep out.
import { useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import type { RepSession } from './RepApp';

export function useListPage<T>(url: string, session: Pick<RepSession, 'token' | 'expired'>, reload: number, failure: string) {
  const [page, setPage] = useState<T | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const { token, expired } = session;
  useEffect(() => {
    const controller = new AbortController();
    api<T>(url, { token, signal: controller.signal })
      .then((answer) => {
        setPage(answer);
        setProblem(undefined);
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) return expired();
        setProblem(error instanceof Error ? error.message : failure);
      });
    return () => controller.abort();
  }, [url, token, expired, reload, failure]);
  return { page, problem, setProblem };
}
