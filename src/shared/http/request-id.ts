import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestContext } from '../context';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives each request an id (a sane incoming X-Request-Id or a new uuid) seen by every log line. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && VALID_ID.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    requestContext.run({ requestId: id }, () => next());
  };
}
