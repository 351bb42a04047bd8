// The SQLite driver adapter runs every query on one connection, and an interactive transaction
// holds that connection inside BEGIN for as long as its callback awaits. A query from another
// request issued meanwhile would run inside that transaction: it would read changes that may
// never commit, and a write already acknowledged to its client would vanish if the transaction
// rolled back. So a transaction waits for the operations in flight and has the connection to
// itself. Everything else may run side by side: each is one statement, which SQLite applies
// whole, and Prisma batches simultaneous findUnique calls into one query.
export class TransactionGate {
  private running = 0;
  private waitingForIdle: (() => void)[] = [];
  private transactions = 0;
  private queue: Promise<void> = Promise.resolve();

  async outside<T>(operation: () => Promise<T>): Promise<T> {
    while (this.transactions > 0) await this.queue;
    this.running += 1;
    try {
      return await operation();
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const wake of this.waitingForIdle.splice(0)) wake();
    }
  }

  alone<T>(transaction: () => Promise<T>): Promise<T> {
    this.transactions += 1;
    const result = this.queue.then(async () => {
      while (this.running > 0) await new Promise<void>((wake) => this.waitingForIdle.push(wake));
      return transaction();
    });
    this.queue = result.then(
      () => void (this.transactions -= 1),
      () => void (this.transactions -= 1),
    );
    return result;
  }
}

// One gate per client: two repositories over the same client share its connection.
const gates = new WeakMap<object, TransactionGate>();

/** The gate for a client's connection, with its two ways in bound for use as plain functions. */
export function transactionGate(db: object): Pick<TransactionGate, "outside" | "alone"> {
  let gate = gates.get(db);
  if (!gate) gates.set(db, (gate = new TransactionGate()));
  return { outside: gate.outside.bind(gate), alone: gate.alone.bind(gate) };
}
