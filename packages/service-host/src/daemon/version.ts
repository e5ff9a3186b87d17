/** The version of riskd (the service-host package). */
export const RISKD_VERSION = '0.1.0';
