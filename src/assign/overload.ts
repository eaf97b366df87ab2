// Hysteresis on load_threshold: a server becomes overloaded when its load reaches the threshold
// and counts as below it again only once its load falls under threshold − load_hysteresis. A
// load hovering at the threshold (CPU and run queue jitter by a few per cent from one report to
// the next) would otherwise take the server out of the answer at one report and back at the next.
// Pure.

export interface OverloadRules {
  loadThreshold: number;
  /** Width of the band under the threshold in which a server keeps its previous state. */
  loadHysteresis: number;
}

/** Whether a server is overloaded after a new load figure, given whether it was before; undefined without a figure. */
export function overloadedAfter(wasOverloaded: boolean | undefined, load: number | undefined, rules: OverloadRules): boolean | undefined {
  if (load === undefined) return undefined;
  if (load >= rules.loadThreshold) return true;
  return wasOverloaded === true && load >= rules.loadThreshold - rules.loadHysteresis;
}
