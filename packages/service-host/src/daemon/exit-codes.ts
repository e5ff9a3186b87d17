/** Exit codes of `riskd` (the README's table). */
export const EXIT_CODES = {
  /** Success. */
  OK: 0,
  /** A failure: start-up refused, a command that did not succeed. */
  FAILURE: 1,
  /** Bad usage: unknown verb or option, missing argument. */
  USAGE: 2,
  /**
   * The admin stopped the daemon through the API. The service manager is told not to restart on
   * it (systemd `RestartPreventExitStatus=78`); 78 is `EX_CONFIG` of sysexits.h.
   */
  ADMIN_STOP: 78,
} as const;
