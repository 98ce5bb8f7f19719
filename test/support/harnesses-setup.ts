// Before the runner tests: the real agent CLIs the harness adapters are tested against.
import { installHarnesses } from '../../scripts/install-harnesses.ts';

export default function setup() {
  installHarnesses();
}
