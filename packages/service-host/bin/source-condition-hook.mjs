// Module resolve hook: resolves workspace packages (`@riskd/...`) through their `@riskd/source`
// export condition, i.e. to their TypeScript sources, as `node --conditions=@riskd/source` would.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@riskd/source')
    ? context.conditions
    : [...context.conditions, '@riskd/source'];
  return nextResolve(specifier, { ...context, conditions });
}
