import { Prisma } from '../../generated/prisma/client';
import { AppError, errorBody, isDependencyUnavailable, loggableError } from '../errors';

describe('errors', () => {
  it('when any error is answered, then its body is { error: { code, message, details } } and nothing else', () => {
    const err = AppError.validation('Bad input', [{ field: 'quantity', message: 'must be 1–10' }]);
    expect(errorBody(err)).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'Bad input',
        details: [{ field: 'quantity', message: 'must be 1–10' }],
      },
    });
    expect(errorBody({ code: 'X', message: 'y', details: [] })).toEqual({
      error: { code: 'X', message: 'y', details: [] },
    });
  });

  it('when an unexpected failure is answered, then it is its own kind INTERNAL with status 500', () => {
    const err = AppError.internal();
    expect({ kind: err.kind, code: err.code, status: err.status }).toEqual({
      kind: 'internal',
      code: 'INTERNAL',
      status: 500,
    });
  });

  it('when PostgreSQL refuses a connection because it has none to spare (Prisma P2037), then it is a dependency outage (503), not a 500', () => {
    const tooMany = new Prisma.PrismaClientKnownRequestError(
      'Too many database connections opened: sorry, too many clients already',
      { code: 'P2037', clientVersion: Prisma.prismaVersion.client },
    );
    expect(isDependencyUnavailable(tooMany)).toBe(true);
    const other = new Prisma.PrismaClientKnownRequestError('Unique constraint failed', {
      code: 'P2002',
      clientVersion: Prisma.prismaVersion.client,
    });
    expect(isDependencyUnavailable(other)).toBe(false);
  });

  it("when a raw query fails, then the log line names PostgreSQL's SQLSTATE under Prisma's code, and not the message quoting arguments", () => {
    const err = new Prisma.PrismaClientKnownRequestError(
      'Raw query failed. Code: `25P02`. Message: `ada@example.test`',
      {
        code: 'P2010',
        clientVersion: Prisma.prismaVersion.client,
        meta: { code: '25P02', message: 'ada@example.test' },
      },
    );
    const logged = loggableError(err);
    expect(logged.message).toBe('database error P2010 (SQLSTATE 25P02)');
    expect(JSON.stringify(logged)).not.toContain('ada@example.test');
  });
});
