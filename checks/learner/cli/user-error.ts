// A problem the learner can fix (an unknown lesson, a missing --yes, no git): the CLI prints the
// message as one line and exits with its code, never with a stack trace.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}
