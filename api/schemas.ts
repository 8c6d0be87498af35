// The HTTP contract lives in contract/http.ts, shared with the pages; the API imports it from here.
export * from '../contract/http.js';
