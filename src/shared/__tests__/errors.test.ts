import { AppError, errorBody } from '../errors';

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
});
