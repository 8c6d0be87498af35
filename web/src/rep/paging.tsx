// Keyset paging for the rep lists (orders, tasks). The API's cursors only go forward, so the
// cursors of the pages before this one are kept to go back.
import { useState } from 'react';
import { Button } from '../ui';

export interface CursorPages {
  /** The cursor of the page shown; undefined on the first page. */
  cursor: string | undefined;
  /** How many pages come before the one shown. */
  pagesBefore: number;
  previous(): void;
  next(nextCursor: string): void;
  /** Back to the first page, as other filters need. */
  reset(): void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  return {
    cursor,
    pagesBefore: cursors.length,
    previous() {
      setCursor(cursors.at(-1) || undefined);
      setCursors(cursors.slice(0, -1));
    },
    next(nextCursor) {
      setCursors([...cursors, cursor ?? '']);
      setCursor(nextCursor);
    },
    reset() {
      setCursors([]);
      setCursor(undefined);
    },
  };
}

export function Pagination({ pages, nextCursor }: { pages: CursorPages; nextCursor: string | null | undefined }) {
  return (
    <nav className="pagination" aria-label="Pages">
      <Button variant="secondary" disabled={pages.pagesBefore === 0} onClick={pages.previous}>
        ← Previous
      </Button>
      <span className="muted">Page {pages.pagesBefore + 1}</span>
      <Button variant="secondary" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        Next →
      </Button>
    </nav>
  );
}
