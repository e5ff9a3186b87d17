import type { Role } from '@riskd/api-client';

/** Escapes a Prometheus label value. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The control API's own metrics, appended to the daemon's on `GET /metrics`. */
export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  private readonly loginFailures = new Map<Role, number>();

  constructor(private readonly liveClients: () => number) {}

  request(method: string, route: string, status: number): void {
    const key = `method="${label(method)}",route="${label(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  loginFailure(role: Role): void {
    this.loginFailures.set(role, (this.loginFailures.get(role) ?? 0) + 1);
  }

  render(): string {
    const lines = [
      '# HELP riskd_api_requests_total Control API requests by route and status.',
      '# TYPE riskd_api_requests_total counter',
      ...[...this.requests].map(([labels, n]) => `riskd_api_requests_total{${labels}} ${n}`),
      '# HELP riskd_api_login_failures_total Failed control API logins by role.',
      '# TYPE riskd_api_login_failures_total counter',
      ...(['admin', 'trader'] as const).map(
        (role) => `riskd_api_login_failures_total{role="${role}"} ${this.loginFailures.get(role) ?? 0}`,
      ),
      '# HELP riskd_api_live_clients Open live-stream connections.',
      '# TYPE riskd_api_live_clients gauge',
      `riskd_api_live_clients ${this.liveClients()}`,
    ];
    return lines.join('\n') + '\n';
  }
}
