// Environment variables as the CLI reads them. Not NodeJS.ProcessEnv: Next.js's types make its
// NODE_ENV required, which no test's hand-made environment has.
export type Env = Readonly<Record<string, string | undefined>>;
