/**
 * @riskd/service-host: the riskd daemon and its command line. The composition root, the CLI
 * entry, logging, schedules, service installation and the demo are exported for the end-to-end
 * tests and for embedding; `bin/riskd.mjs` is the command.
 */
export { main, renderMainHelp } from './cli/main.js';
export { processIo, captureIo, type CliIo, type CapturedIo } from './cli/cli-io.js';
export { runDaemon, readyLine } from './cli/run-verb.js';
export { riskdVerbs } from './cli/verbs.js';
export type { Verb, VerbOption } from './cli/verb.js';
export {
  RiskdDaemon,
  engineRulesConfig,
  topstepXConfig,
  type ExitRequest,
  type ReadyInfo,
  type RestartReport,
  type RiskdDaemonOptions,
} from './daemon/riskd-daemon.js';
export { BUILTIN_RULE_PACKS } from './daemon/builtin-packs.js';
export { CompositionRoot, type HostModule, type RequiredToken } from './daemon/composition-root.js';
export { DaemonControlPlane } from './daemon/daemon-control-plane.js';
export {
  CONTROL_CODES,
  CONTROL_INSTANCE_ID,
  CONTROL_RULE_ID,
  controlRulePack,
  issueControlCommand,
  type ControlCommand,
  type ControlSwitches,
} from './daemon/control-rule.js';
export { EXIT_CODES } from './daemon/exit-codes.js';
export {
  ControlRefusedError,
  HostError,
  MissingTokenError,
  NotFoundError,
  ServiceInstallError,
  StartupError,
  UsageError,
  describeError,
  type HostErrorCode,
} from './daemon/host-errors.js';
export { RUN_MARKER_FILE, RunMarker, type PreviousRun, type RunMarkerRecord } from './daemon/run-marker.js';
export { RISKD_VERSION } from './daemon/version.js';
export * from './daemon/host-tokens.js';
export * from './logging/index.js';
export * from './schedules/index.js';
export {
  RISKD_NODE_FLAGS,
  SERVICE_NAME,
  LAUNCHD_LABEL,
  defaultServiceSpec,
  installedDataDir,
  type ServicePlatform,
  type ServiceSpec,
} from './service/service-spec.js';
export { renderSystemdUnit, SYSTEMD_UNIT_PATH } from './service/systemd-unit.js';
export { renderLaunchdPlist, LAUNCHD_PLIST_PATH } from './service/launchd-plist.js';
export { renderWindowsPlan, windowsServiceOptions } from './service/windows-service.js';
export { runDemo, DEMO_EXPECTED_CODES, type DemoOptions } from './demo/demo-runner.js';
export { demoConfigDocument, DEMO_ACCOUNTS } from './demo/demo-config.js';
