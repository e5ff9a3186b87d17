import { RISKD_NODE_FLAGS, SERVICE_DESCRIPTION, type ServiceSpec } from './service-spec.js';

/** Where the unit is installed. */
export const SYSTEMD_UNIT_PATH = '/etc/systemd/system/riskd.service';

/** Directories the service may not write to but must read (its code and node) if they are under /home or /root. */
function underHome(p: string): boolean {
  return /^\/(home|root|run\/user)(\/|$)/.test(p);
}

function quote(arg: string): string {
  return /[\s"'\\$%;]/.test(arg)
    ? `"${arg
        .replace(/(["\\])/g, '\\$1')
        .replace(/%/g, '%%')
        .replace(/\$/g, '$$$$')}"`
    : arg;
}

/**
 * The systemd unit of the daemon: root, started after the network is online, restarted always
 * except after an admin stop (`RestartPreventExitStatus`), with hardening that keeps what the
 * daemon needs: read-only system and home (read-only rather than hidden when the installation
 * itself lives under a home directory), its data directory writable, a private /tmp (tsx caches
 * there), no new privileges, no capabilities, no device access, the system-service syscall set.
 * `MemoryDenyWriteExecute` is left out on purpose: V8's JIT needs writable executable memory.
 */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const execStart = [spec.nodePath, ...RISKD_NODE_FLAGS, spec.entry, 'run', '--config', spec.configPath]
    .map(quote)
    .join(' ');
  const protectHome = underHome(spec.installDir) || underHome(spec.nodePath) ? 'read-only' : 'yes';
  return `# Installed by \`riskd service install\`. Remove with \`riskd service uninstall\`.
[Unit]
Description=${SERVICE_DESCRIPTION}
After=network-online.target
Wants=network-online.target
# Keep restarting however often it fails: a guardian that gives up protects nothing.
StartLimitIntervalSec=0

[Service]
Type=simple
User=root
Group=root
ExecStart=${execStart}
WorkingDirectory=${spec.dataDir}
Environment=NODE_ENV=production
Restart=always
RestartSec=2
# An admin stop through the API exits with this status: do not restart after it.
RestartPreventExitStatus=${spec.adminStopExitCode}
KillSignal=SIGTERM
TimeoutStopSec=20
StandardOutput=journal
StandardError=journal
UMask=0077
ProtectSystem=strict
ReadWritePaths=${spec.dataDir}
ProtectHome=${protectHome}
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
ProtectClock=yes
ProtectHostname=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service

[Install]
WantedBy=multi-user.target
`;
}
