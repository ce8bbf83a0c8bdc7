/** One scenario as the fixtures' recorders report it (test/fixtures/scenario-recorder.mjs and the like). */
export interface ScenarioResult {
  /** Callbacks whose store was checked, and how many of those saw another one. */
  total: number;
  wrong: number;
  /** Each `callback:store` seen wrong, once. */
  seen: string[];
  /** How often each callback ran. */
  ran: Record<string, number>;
  /** Why the scenario did not finish, if it did not. */
  error?: string;
}

/** A fixture's run: the library version it loaded, and each scenario by name. */
export interface ScenarioRun {
  runtime: string;
  version: string;
  results: Record<string, ScenarioResult>;
}
