/** An error caused by input or circumstances the person can change; `hint` says how. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
