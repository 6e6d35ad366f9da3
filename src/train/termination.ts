import { sortChannelNames, type Monitor } from "./monitor.js";
import { DlError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";

/**
 * pylearn2's termination criteria (pylearn2/termination_criteria/__init__.py). `continueLearning`
 * is asked once after every monitoring step; criteria with memory expose it through
 * `state`/`loadState` so a resumed run decides exactly as an uninterrupted one.
 */
export interface TerminationCriterion {
  readonly className: string;
  continueLearning(monitor: Monitor): boolean;
  state?(): unknown;
  loadState?(s: unknown): void;
}

/** Stops after `maxEpochs` epochs, counted from this run's start (`newEpochs`) or from the model's first. */
export class EpochCounter implements TerminationCriterion {
  readonly className = "EpochCounter";
  private offset: number | null = null;
  constructor(
    readonly maxEpochs: number,
    readonly newEpochs = true,
  ) {}

  continueLearning(monitor: Monitor): boolean {
    if (this.offset === null) this.offset = this.newEpochs ? monitor.epochsSeen : 0;
    return monitor.epochsSeen - this.offset < this.maxEpochs;
  }

  state(): unknown {
    return { offset: this.offset };
  }

  loadState(s: unknown): void {
    this.offset = (s as { offset: number | null }).offset;
  }
}

/**
 * Stops when the channel has not fallen below (1 - propDecrease) * best for N consecutive checks:
 * the countdown resets to N on sufficient improvement and otherwise decreases by one.
 */
export class MonitorBased implements TerminationCriterion {
  readonly className = "MonitorBased";
  private countdown: number;
  private best = Infinity;
  constructor(
    readonly propDecrease = 0.01,
    readonly N = 5,
    readonly channelName: string | null = null,
  ) {
    this.countdown = N;
  }

  continueLearning(monitor: Monitor): boolean {
    const v = monitor.last(this.channelName ?? "objective", "MonitorBased termination criterion");
    if (v < (1 - this.propDecrease) * this.best) this.countdown = this.N;
    else this.countdown -= 1;
    if (v < this.best) this.best = v;
    return this.countdown > 0;
  }

  state(): unknown {
    // The count of checks since the last sufficient improvement, not the countdown itself: a run
    // resumed with another N (e.g. `algorithm.termination_criterion.N=30`) then stops where an
    // uninterrupted run with that N would. JSON has no Infinity: null stands for "no best yet".
    return { sinceImprovement: this.N - this.countdown, best: Number.isFinite(this.best) ? this.best : null };
  }

  loadState(s: unknown): void {
    const st = s as { sinceImprovement?: number; countdown?: number; best: number | null };
    // Older checkpoints kept the countdown itself: they still resume, with the N they were written under.
    this.countdown = st.sinceImprovement !== undefined ? this.N - st.sinceImprovement : (st.countdown ?? this.N);
    this.best = st.best ?? Infinity;
  }
}

/** Stops once the channel's latest value is at or below `target`. */
export class ChannelTarget implements TerminationCriterion {
  readonly className = "ChannelTarget";
  constructor(
    readonly channelName: string,
    readonly target: number,
  ) {}

  continueLearning(monitor: Monitor): boolean {
    return monitor.last(this.channelName, "ChannelTarget termination criterion") > this.target;
  }
}

/**
 * pylearn2's MatchChannel: keep learning until a channel falls to the last value a channel had in an
 * earlier monitor (one push_monitor set aside). The maxout paper's second stage trains on all the
 * training data until the validation objective reaches the training objective the first stage ended
 * with. The target is read once, at the first check, and kept in the criterion's state.
 */
export class MatchChannel implements TerminationCriterion {
  readonly className = "MatchChannel";
  private target: number | null = null;
  constructor(
    readonly channelName: string,
    readonly prevChannelName: string,
    readonly prevMonitorName: string,
  ) {}

  continueLearning(monitor: Monitor): boolean {
    const who = "MatchChannel termination criterion";
    if (this.target === null) {
      const earlier = monitor.earlier.get(this.prevMonitorName);
      if (!earlier) {
        const names = [...monitor.earlier.keys()];
        throw new DlError(
          `${who}: there is no earlier monitor named '${this.prevMonitorName}' (push_monitor names one when the model is loaded: ` +
            `model: !obj:pylearn2.monitor.push_monitor { model: !pkl: "stage0.pkl", name: "${this.prevMonitorName}" }). ` +
            `Earlier monitors: ${names.length > 0 ? names.join(", ") : "(none)"}`,
          2,
        );
      }
      const ch = earlier.channels[this.prevChannelName];
      if (!ch || ch.val.length === 0) {
        const names = Object.keys(earlier.channels);
        const hint = didYouMean(this.prevChannelName, names);
        throw new DlError(
          `${who}: the earlier monitor '${this.prevMonitorName}' has no values for channel '${this.prevChannelName}'.` +
            `${hint ? ` Did you mean '${hint}'?` : ""} Its channels: ${names.length > 0 ? sortChannelNames(names).join(", ") : "(none)"}`,
          2,
        );
      }
      this.target = ch.val[ch.val.length - 1];
    }
    return monitor.last(this.channelName, who) > this.target;
  }

  state(): unknown {
    return { target: this.target };
  }

  loadState(s: unknown): void {
    this.target = (s as { target: number | null }).target;
  }
}

/**
 * Continue while every criterion says continue. Like pylearn2's `all(...)` it stops asking at the
 * first "stop", so later criteria's counters do not move on that check.
 */
export class And implements TerminationCriterion {
  readonly className: string = "And";
  constructor(readonly criteria: readonly TerminationCriterion[]) {}

  continueLearning(monitor: Monitor): boolean {
    return this.criteria.every((c) => c.continueLearning(monitor));
  }

  state(): unknown {
    return this.criteria.map((c) => c.state?.() ?? null);
  }

  loadState(s: unknown): void {
    const list = s as unknown[];
    this.criteria.forEach((c, i) => c.loadState?.(list[i]));
  }
}

/** Continue while any criterion says continue (short-circuits on the first "continue", as pylearn2's `any`). */
export class Or extends And {
  override readonly className = "Or";
  override continueLearning(monitor: Monitor): boolean {
    return this.criteria.some((c) => c.continueLearning(monitor));
  }
}
