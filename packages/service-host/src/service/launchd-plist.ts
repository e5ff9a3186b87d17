import { LAUNCHD_LABEL, RISKD_NODE_FLAGS, type ServiceSpec } from './service-spec.js';

/** Where the plist is installed. */
export const LAUNCHD_PLIST_PATH = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The launchd daemon plist. launchd has no "do not restart on this status": `KeepAlive`
 * `SuccessfulExit=false` restarts the daemon after any unsuccessful exit (a crash, a kill) and not
 * after exit 0, so the daemon is started with `--admin-stop-exit-code 0` and an admin stop exits 0.
 */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  const args = [
    spec.nodePath,
    ...RISKD_NODE_FLAGS,
    spec.entry,
    'run',
    '--config',
    spec.configPath,
    '--admin-stop-exit-code',
    '0',
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Installed by \`riskd service install\`. Remove with \`riskd service uninstall\`. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args.map((a) => `    <string>${xml(a)}</string>`).join('\n')}
  </array>
  <key>UserName</key>
  <string>root</string>
  <key>GroupName</key>
  <string>wheel</string>
  <key>WorkingDirectory</key>
  <string>${xml(spec.dataDir)}</string>
  <key>EnvironmentVariables</key>
  <dict>
    <key>NODE_ENV</key>
    <string>production</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ExitTimeOut</key>
  <integer>20</integer>
  <key>Umask</key>
  <integer>63</integer>
  <key>StandardOutPath</key>
  <string>${xml(spec.dataDir)}/logs/launchd.out.log</string>
  <key>StandardErrorPath</key>
  <string>${xml(spec.dataDir)}/logs/launchd.err.log</string>
</dict>
</plist>
`;
}
