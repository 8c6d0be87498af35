// Failure messages and stack traces can name people and organizations ("x@y already belongs to
// another Webex organization"): they move into an encoded attribute, which the payload codec then
// encrypts like any payload. Plain CommonJS because the Temporal SDK require()s this file by path
// in clients and workers, and bundles it into the workflow code.
/* global require, exports */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
