import { type AccountView, type ContractId, isContractKnown, type PositionView } from '@riskd/core-engine';

/** JSON Schema pattern of a symbol key in options (`MNQ`, `ES`, `M2K`). */
export const SYMBOL_PATTERN = '^[A-Z0-9]{1,12}$';
/** JSON Schema pattern of a symbol or a wildcard pattern (`M*`, `?Q`). */
export const SYMBOL_WILDCARD_PATTERN = '^[A-Z0-9*?]{1,12}$';

/**
 * Matches symbols against wildcard patterns (`*` any run, `?` one character), whole-symbol and
 * case-insensitively. Results are cached per symbol because it runs on the hot path.
 */
export class SymbolMatcher {
  private readonly regexes: readonly RegExp[];
  private readonly cache = new Map<string, boolean>();

  constructor(readonly patterns: readonly string[]) {
    this.regexes = patterns.map(
      (p) =>
        new RegExp(
          `^${p
            .toUpperCase()
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        ),
    );
  }

  matches(symbol: string): boolean {
    const key = symbol.toUpperCase();
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = this.regexes.some((r) => r.test(key));
      if (this.cache.size > 1_000) this.cache.clear();
      this.cache.set(key, hit);
    }
    return hit;
  }
}

/**
 * The symbol of a contract whose record is known (from a position or the contract records);
 * undefined while the record is being fetched.
 */
export function symbolOf(account: AccountView, contractId: ContractId): string | undefined {
  const position = account.positions.get(contractId);
  if (position && isContractKnown(position.contract)) return position.symbol;
  return account.contract(contractId)?.symbol;
}

/** Open positions whose contract record is known (symbol and tick economics are real). */
export function knownPositions(account: AccountView): PositionView[] {
  const out: PositionView[] = [];
  for (const p of account.positions.values()) if (isContractKnown(p.contract)) out.push(p);
  return out;
}

/**
 * True while a position or working order of the account is in a contract whose record is not
 * known yet: rules keyed by symbol wait (a `contract` event re-evaluates them when it arrives).
 */
export function hasUnknownContracts(account: AccountView): boolean {
  for (const p of account.positions.values()) if (!isContractKnown(p.contract)) return true;
  for (const o of account.workingOrders.values())
    if (symbolOf(account, o.contractId) === undefined) return true;
  return false;
}

/** Upper-cases the keys of a per-symbol option map. */
export function upperKeys<T>(map: Readonly<Record<string, T>> | undefined): ReadonlyMap<string, T> {
  const out = new Map<string, T>();
  for (const [k, v] of Object.entries(map ?? {})) out.set(k.toUpperCase(), v);
  return out;
}
