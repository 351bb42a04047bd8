// Every stub function throws this until the learner writes it, so a failing test says which
// lesson and which function to work on instead of failing somewhere further away.

export class NotImplementedError extends Error {
  constructor(
    readonly lesson: string,
    readonly what: string,
  ) {
    super(`${what} is not implemented yet (${lesson}). Write it, then run: npm run check ${lesson}`);
    this.name = "NotImplementedError";
  }
}

export function notImplemented(lesson: string, what: string): never {
  throw new NotImplementedError(lesson, what);
}
