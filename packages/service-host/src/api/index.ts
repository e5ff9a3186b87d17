// The control API of the daemon: what the composition root wires (and tests use).
export {
  buildApp,
  controlApiPlugin,
  registeredRoutesOf,
  type ControlApiOptions,
  type ControlApiPluginOptions,
} from './app.js';
export { API_HOST, listen, type ListenOptions, type ListeningApi } from './server.js';
export {
  CONTROL_PLANE_ERROR_STATUS,
  ControlApiError,
  ControlPlaneError,
  type Actor,
  type ControlApiErrorCode,
  type ControlPlane,
  type ControlPlaneErrorKind,
} from './control-plane.js';
export {
  FakeControlPlane,
  FAKE_CHANNELS,
  FAKE_RULE_IDS,
  FAKE_STOP_EXIT_CODE,
  type FakeCall,
} from './control-plane.fake.js';
export { DEFAULT_TOKEN_TTL_MS, TokenStore, type TokenGrant } from './token-store.js';
export { LoginThrottle, type LoginThrottleOptions, type ThrottleVerdict } from './login-throttle.js';
export { SET_PASSWORD_INSTRUCTION } from './route-handlers.js';
