/**
 * Switchable behaviours where PROJECTX-GATEWAY.md marks the real gateway as uncertain. Defaults
 * follow the document's recommendation (or, without one, the most documented reading).
 */
export interface Variants {
  /**
   * Send user-hub events as `{ action: 1, data }` instead of the bare object. Default false: the
   * official sample shows bare objects (§7.2); project-x-py also accepts the wrapper.
   */
  wrappedUserEvents: boolean;
  /**
   * Largest lot of one fill: an order of 3 with `splitFills: 1` fills as three GatewayUserTrade of
   * size 1. Null (default): one fill per execution (Appendix B step 3 says fills "may be split").
   */
  splitFills: number | null;
  /**
   * How a fill that reverses a position is reported: `split` (default) as a closing half-turn
   * (with profitAndLoss) and an opening one (profitAndLoss null); `single` as one trade of the
   * whole size carrying the closed part's profitAndLoss.
   */
  flipFill: 'split' | 'single';
  /** Whether OrderType 3 (StopLimit) may be placed (§4.1 marks it uncertain). Default true. */
  stopLimitPlaceable: boolean;
  /**
   * Order/cancel on a non-simulated (live) account answers AccountRejected (6), as the current
   * docs say (§5.5). Default true.
   */
  restrictCancelOnLiveAccounts: boolean;
  /**
   * Auth/validate with an expired token: `envelope` (default) answers HTTP 200 errorCode 3
   * ExpiredToken; `http401` answers 401 like every other endpoint.
   */
  validateExpiredToken: 'envelope' | 'http401';
  /** Accept AggregateBarUnit 7 (Tick) on History/retrieveBars (§4.1, newer swagger). Default false. */
  tickBars: boolean;
  /** Send the current quote right after SubscribeContractQuotes succeeds. Default true. */
  quoteSnapshotOnSubscribe: boolean;
  /** Status of a new order's first GatewayUserOrder: 1 Open (default) or 6 Pending (Appendix B step 2). */
  initialOrderStatus: 1 | 6;
}

export const DEFAULT_VARIANTS: Variants = {
  wrappedUserEvents: false,
  splitFills: null,
  flipFill: 'split',
  stopLimitPlaceable: true,
  restrictCancelOnLiveAccounts: true,
  validateExpiredToken: 'envelope',
  tickBars: false,
  quoteSnapshotOnSubscribe: true,
  initialOrderStatus: 1,
};
