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
