/**
 * The hook admin routes run before validation: the token is checked first, so an unauthenticated
 * caller gets 401 whatever it sent, and learns nothing about what a valid request looks like.
 */
import type { FastifyRequest } from 'fastify';

export function adminFirst(
  requireAdmin: (authorization: string | undefined) => void,
): (request: FastifyRequest, reply: unknown, done: (error?: Error) => void) => void {
  return (request, _reply, done) => {
    try {
      requireAdmin(request.headers.authorization);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
}
