/** Values a hostile or broken handler may throw, by name (see poison-handlers.test.ts). */
export const POISON: Readonly<Record<string, () => unknown>> = {
  'an object with no prototype': (): unknown => Object.create(null) as unknown,
  'an object whose toString throws': () => ({
    toString() {
      throw new Error('no string for you');
    },
  }),
  'a Proxy that throws on every trap': () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error('get trap');
        },
        getPrototypeOf() {
          throw new Error('getPrototypeOf trap');
        },
        has() {
          throw new Error('has trap');
        },
      },
    ),
  'an Error whose message getter throws': () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('message getter');
      },
    });
    return error;
  },
  'a Symbol': () => Symbol('poison'),
  'an Error whose message is not a string': () =>
    Object.assign(new Error(), { message: { nested: true } }),
};

/** Values a hostile or broken handler may return: none can be stored as JSON as they are. */
export const POISON_RESULTS: Readonly<Record<string, () => unknown>> = {
  'a BigInt inside': () => ({ big: 10n }),
  'a circular object': () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    return circular;
  },
  ...Object.fromEntries(
    Object.entries(POISON).map(([what, make]) => [
      `an object whose toJSON throws ${what}`,
      () => ({
        toJSON() {
          throw make();
        },
      }),
    ]),
  ),
  'a Proxy that throws on every trap': () => POISON['a Proxy that throws on every trap']!(),
};
