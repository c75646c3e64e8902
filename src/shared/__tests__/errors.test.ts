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

  it('when PostgreSQL drops, resets or refuses a connection, or is shutting down or starting, then every shape the error takes is a dependency outage (503); a failing query is not', () => {
    const clientVersion = Prisma.prismaVersion.client;
    const adapterError = (cause: Record<string, unknown>) =>
      Object.assign(new Error(String(cause.kind)), { name: 'DriverAdapterError', cause });
    const rawQueryFailed = (cause: Record<string, unknown>) =>
      new Prisma.PrismaClientKnownRequestError('Raw query failed. Code: `N/A`. Message: `…`', {
        code: 'P2010',
        clientVersion,
        meta: { driverAdapterError: adapterError(cause) },
      });
    const pgError = (code: string) => Object.assign(new Error('…'), { code, severity: 'FATAL' });
    const unavailable = [
      rawQueryFailed({ kind: 'ConnectionClosed' }),
      rawQueryFailed({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }),
      rawQueryFailed({ kind: 'SocketTimeout' }),
      rawQueryFailed({ kind: 'postgres', code: '57P01', originalCode: '57P01' }),
      adapterError({ kind: 'postgres', code: '57P03', originalCode: '57P03' }),
      adapterError({ kind: 'ConnectionClosed' }),
      new Prisma.PrismaClientKnownRequestError("Can't reach database server", {
        code: 'P1001',
        clientVersion,
      }),
      new Prisma.PrismaClientKnownRequestError('Server has closed the connection.', {
        code: 'P1017',
        clientVersion,
      }),
      new Prisma.PrismaClientKnownRequestError(
        'Transaction API error: Unable to start a transaction in the given time.',
        {
          code: 'P2028',
          clientVersion,
        },
      ),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read', errno: -104 }),
      Object.assign(new Error('connect ECONNREFUSED'), {
        code: 'ECONNREFUSED',
        syscall: 'connect',
        errno: -111,
      }),
      pgError('57P01'),
      pgError('08006'),
      new Error('wrapped', { cause: pgError('08003') }),
    ];
    for (const err of unavailable) expect([err, isDependencyUnavailable(err)]).toEqual([err, true]);
    const ours = [
      rawQueryFailed({ kind: 'postgres', code: '42601', originalCode: '42601' }),
      rawQueryFailed({ kind: 'UniqueConstraintViolation' }),
      new Prisma.PrismaClientKnownRequestError('Transaction API error: Transaction already closed', {
        code: 'P2028',
        clientVersion,
      }),
      pgError('23505'),
    ];
    for (const err of ours) expect([err, isDependencyUnavailable(err)]).toEqual([err, false]);
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
