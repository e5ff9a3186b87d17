const MONTH_CODES = 'FGHJKMNQUVXZ';

/**
 * The product root as traders write it: the contract name without its month code and
 * single-digit year (`MNQZ5` -> `MNQ`, `NQU5` -> `NQ`). Names that do not end in a month code and a
 * digit are returned unchanged (upper-cased), so an unusual contract still gets a stable key.
 */
export function symbolFromContractName(name: string): string {
  const upper = name.trim().toUpperCase();
  const match = /^([A-Z0-9]+?)([FGHJKMNQUVXZ])(\d)$/.exec(upper);
  if (match && match[1] && match[2] && MONTH_CODES.includes(match[2])) return match[1];
  return upper;
}
