import { configVerbs } from './config-verbs.js';
import { demoVerb } from './demo-verb.js';
import { notifyVerbs } from './notify-verbs.js';
import { runVerb } from './run-verb.js';
import { serviceVerbs } from './service-verbs.js';
import { storageVerbs } from './storage-verbs.js';
import type { Verb } from './verb.js';

/** Every verb of `riskd`, in the order the help lists them. */
export function riskdVerbs(): Verb[] {
  return [runVerb(), ...configVerbs(), ...storageVerbs(), ...notifyVerbs(), ...serviceVerbs(), demoVerb()];
}
