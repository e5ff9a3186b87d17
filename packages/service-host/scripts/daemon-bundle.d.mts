/** The service-host package folder. */
export declare const packageDir: string;
/** The workspace root. */
export declare const workspaceDir: string;
/** Where the compiled daemon is written. */
export declare const distDir: string;
/** The source folders (relative to the workspace) the bundle is made from. */
export declare const BUNDLE_SOURCE_DIRS: readonly string[];
/** The files the build writes into {@link distDir}. */
export declare const OUTPUTS: readonly string[];
/** True when an output is missing or older than a source file or a package.json. */
export declare function bundleIsStale(): boolean;
/** The compiled command, run by `bin/riskd.mjs` when it is fresh. */
export declare const DAEMON_BUNDLE: string;
